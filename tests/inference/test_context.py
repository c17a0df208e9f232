"""The model is conditioned on the conversation so far: the same follow-up question gets a different answer
after a delivery question than after a refund request, and the answer follows the earlier turns."""

import json

import pytest

from inference.serving import ReplyEngine, Turn
from tests.inference.factories import SHOP_EXAMPLES, train_tiny

FOLLOW_UPS = ["how long will it take?", "and how long does that take", "how many days?"]
TOPICS = {
    "track_order": ("Your order is on its way.", "Delivery takes 3 working days."),
    "get_refund": ("I have started your refund.", "Refunds reach your account in 5 days."),
}


def write_follow_up_jsonl(path):
    """Each follow-up appears after both topics, with a different reply: only the context tells them apart."""
    lines = []
    for intent, (bot_said, answer) in TOPICS.items():
        for opening in SHOP_EXAMPLES[intent][0]:
            lines.append(
                {"context": [{"role": "customer", "text": opening}], "response": bot_said, "intent": intent}
            )
            for follow_up in FOLLOW_UPS:
                context = [
                    {"role": "customer", "text": opening},
                    {"role": "bot", "text": bot_said},
                    {"role": "customer", "text": follow_up},
                ]
                lines.append({"context": context, "response": answer, "intent": intent})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("context-models")
    data = write_follow_up_jsonl(root.parent / "follow_ups.jsonl")
    return ReplyEngine.load(train_tiny(data, root, epochs=40), device="cpu")


@pytest.mark.parametrize("intent", list(TOPICS))
def test_the_same_follow_up_is_answered_from_the_earlier_turns(engine, intent):
    bot_said, answer = TOPICS[intent]
    opening = SHOP_EXAMPLES[intent][0][0]
    reply = engine.reply(
        [Turn("customer", opening), Turn("bot", bot_said), Turn("customer", "how long will it take?")]
    )
    assert (reply.raw_text, reply.intent) == (answer, intent)


def test_one_and_the_same_last_turn_gets_both_answers_depending_on_what_came_before(engine):
    answers = {
        engine.reply(
            [Turn("customer", opening), Turn("bot", TOPICS[intent][0]), Turn("customer", "how many days?")]
        ).raw_text
        for intent in TOPICS
        for opening in SHOP_EXAMPLES[intent][0][:2]
    }
    assert answers == {answer for _, answer in TOPICS.values()}
