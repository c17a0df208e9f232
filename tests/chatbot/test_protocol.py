"""Parsing client frames and building server frames (no database)."""

import uuid

import pytest

from chatbot.conversations import protocol
from chatbot.conversations.protocol import ProtocolError


def parse(content: dict, *, max_message_chars: int = 2000):
    return protocol.parse_client_frame(content, max_message_chars=max_message_chars)


def test_it_parses_every_client_frame_type():
    client_id = uuid.uuid4()
    assert parse({"type": "message", "client_id": str(client_id), "text": "hi"}) == protocol.SendMessage(
        client_id=client_id, text="hi"
    )
    assert parse({"type": "typing", "is_typing": False}) == protocol.Typing(is_typing=False)
    assert parse({"type": "ping"}) == protocol.Ping()
    assert parse({"type": "history"}) == protocol.RequestHistory()
    assert parse({"type": "escalate"}) == protocol.RequestStaff()
    assert parse({"type": "contact", "email": " a@b.example ", "message": " hi "}) == protocol.LeaveContact(
        email="a@b.example", message="hi"
    )
    conversation_id = uuid.uuid4()
    assert parse(
        {"type": "csat", "conversation": str(conversation_id), "rating": 4}
    ) == protocol.RateConversation(conversation_id=conversation_id, rating=4, comment="")
    message_id = uuid.uuid4()
    for vote in ("up", "down", None):
        assert parse(
            {"type": "feedback", "message_id": str(message_id), "vote": vote}
        ) == protocol.VoteOnReply(message_id=message_id, vote=vote)


def test_it_trims_the_text_and_measures_the_trimmed_length():
    frame = parse(
        {"type": "message", "client_id": str(uuid.uuid4()), "text": "  " + "a" * 5 + "\n"},
        max_message_chars=5,
    )
    assert frame.text == "aaaaa"


def test_a_typing_flag_must_be_a_real_boolean():
    with pytest.raises(ProtocolError) as error:
        parse({"type": "typing", "is_typing": 1})
    assert error.value.code == "invalid_field"


@pytest.mark.parametrize("text", ["[]", "3", '"message"', "null"])
def test_a_frame_must_be_a_json_object(text):
    with pytest.raises(ProtocolError) as error:
        protocol.decode_text_frame(text)
    assert error.value.code == "invalid_json"


def test_a_deeply_nested_frame_is_invalid_json_not_a_crash():
    with pytest.raises(ProtocolError) as error:
        protocol.decode_text_frame("[" * 100_000 + "]" * 100_000)
    assert error.value.code == "invalid_json"


def test_an_unknown_type_is_named_briefly_in_the_error():
    with pytest.raises(ProtocolError) as error:
        parse({"type": "x" * 500})
    assert error.value.code == "unknown_type"
    assert len(error.value.detail) < 200


def test_error_frames_always_carry_a_client_id_field():
    assert protocol.error_frame(code="invalid_json", detail="The frame is not valid JSON.") == {
        "type": "error",
        "code": "invalid_json",
        "detail": "The frame is not valid JSON.",
        "client_id": None,
    }
