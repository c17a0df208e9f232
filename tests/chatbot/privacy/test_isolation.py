"""Two customers, two cookies: the customer socket serves each only their own data, before and after
one of them is erased."""

import pytest
from channels.db import database_sync_to_async

from chatbot.privacy import services
from tests.chatbot.chat_client import chat_socket, connect, is_typing_off, message_frame, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("scripted_engine")]


async def test_each_cookie_gets_only_its_own_history_and_an_erased_one_gets_nothing(customer, other_customer):
    alice, _ = await connect(customer)
    await alice.send_json_to(message_frame("my card is 4111 1111 1111 1111, I am Alice"))
    await receive_until(alice, is_typing_off)
    await alice.disconnect()
    bob, _ = await connect(other_customer)
    await bob.send_json_to(message_frame("hello, Bob here"))
    await receive_until(bob, is_typing_off)
    await bob.disconnect()

    alice, alice_history = await connect(customer)
    bob, bob_history = await connect(other_customer)
    assert alice_history["messages"][0]["text"] == "my card is [card], I am Alice"
    assert all("Alice" not in message["text"] for message in bob_history["messages"])
    assert [message["text"] for message in bob_history["messages"]][0] == "hello, Bob here"
    await alice.disconnect()

    await database_sync_to_async(services.do_erase_customers)(customers=[customer], actor=None)

    refused = chat_socket(customer)
    await refused.connect()
    assert await refused.receive_output() == {"type": "websocket.close", "code": 4401}
    await bob.send_json_to({"type": "history"})
    assert (await bob.receive_json_from(timeout=5))["messages"] == bob_history["messages"]
    await bob.disconnect()
