"""The chat on a bad network: dropped sockets, lost acknowledgements, refused messages, silent
servers. The real server answers; a proxy in the browser (socket_proxy.py) loses what a flaky
network would lose.
"""

import pytest
from playwright.sync_api import expect

from tests.chatbot.browser.chat_page import open_chat
from tests.chatbot.browser.conftest import REPLY_TIMEOUT_SECONDS
from tests.chatbot.browser.socket_proxy import Frame, ProxiedConnection, SocketProxy

pytestmark = pytest.mark.browser

QUESTION = "I want to cancel my order."


def test_a_message_lost_with_the_socket_is_resent_after_reconnecting(page, live_server_url):
    def lose_the_first_message(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] == "message" and connection.index == 0:
            connection.drop()
            return False
        return True

    proxy = SocketProxy(page, on_client=lose_the_first_message)
    chat = open_chat(page, live_server_url)
    chat.record_connection_states()
    chat.send(QUESTION)

    expect(chat.customer_messages.first).to_have_attribute("data-state", "sending")
    chat.expect_exchange(customer=[QUESTION], replies=1)
    assert chat.connection_states() == ["open", "waiting", "connecting", "open"]

    sent = proxy.sent_messages()
    assert len(sent) == 2 and sent[0]["client_id"] == sent[1]["client_id"], "resent with the same client_id"
    page.reload()
    chat.wait_until_connected()
    chat.expect_exchange(customer=[QUESTION], replies=1)


def test_a_stored_message_is_not_resent_when_only_its_acknowledgement_was_lost(page, live_server_url):
    def drop_right_after_delivering(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] == "message" and connection.index == 0:
            connection.send_to_server(frame)
            connection.drop()
            return False
        return True

    proxy = SocketProxy(page, on_client=drop_right_after_delivering)
    chat = open_chat(page, live_server_url)
    chat.record_connection_states()
    chat.send(QUESTION)

    chat.expect_exchange(customer=[QUESTION], replies=1)
    assert chat.connection_states() == ["open", "waiting", "connecting", "open"]
    assert len(proxy.sent_messages()) == 1, "the history showed it stored: nothing to resend"
    assert len(proxy.connections) == 2


def test_a_message_sent_before_the_history_arrives_is_sent_once_and_awaited(page, live_server_url):
    held: list[tuple[Frame, ProxiedConnection]] = []

    def hold_the_first_history_and_the_reply(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] == "history" and not held:
            held.append((frame, connection))
            return False
        # Only the acknowledgement passes: the typing indicator must come from the page's own expectation.
        return frame["type"] == "history" or (
            frame["type"] == "message" and frame["message"]["sender"] == "customer"
        )

    proxy = SocketProxy(page, on_server=hold_the_first_history_and_the_reply)
    chat = open_chat(page, live_server_url)
    wait_until(page, lambda: held)
    chat.send(QUESTION)  # a quick typist: the socket is open, its history still on the way
    wait_until(page, proxy.sent_messages)
    history, connection = held[0]
    connection.send_to_page(history)

    expect(chat.customer_messages.first).to_have_attribute("data-state", "sent")
    expect(chat.typing).to_have_class("chat__typing is-visible")
    assert len(proxy.sent_messages()) == 1, "the server reads the socket in order: no second copy"


def test_a_reply_generated_again_replaces_the_stalled_beginning_in_the_streaming_bubble(
    page, live_server_url
):
    stalled = "Let me check that for you and"
    streamed: list[str] = []
    held_finals: list[Frame] = []

    def a_first_worker_died_mid_reply(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] == "token":
            if not streamed:  # what a first worker streamed before it died, under its own attempt
                connection.send_to_page({**frame, "attempt": "the-first-worker", "delta": stalled})
            streamed.append(frame["delta"])
        if frame["type"] == "message" and frame["message"]["sender"] == "bot":
            held_finals.append(frame)  # it would replace the bubble: hold it to see what the bubble shows
            return False
        return True

    SocketProxy(page, on_server=a_first_worker_died_mid_reply)
    chat = open_chat(page, live_server_url)
    chat.record_reply()
    chat.send(QUESTION)

    wait_until(page, lambda: held_finals)  # every token came before it
    expect(chat.preview.locator(".message__text")).to_have_text("".join(streamed))
    assert chat.stream_observations()[0] == stalled, "the stalled beginning was shown first"
    assert not any(text.startswith(stalled) and text != stalled for text in chat.stream_observations())


def test_a_reply_joined_mid_stream_is_shown_once_another_worker_generates_it_from_the_start(
    page, live_server_url
):
    held: dict = {}

    def reconnect_while_the_reply_is_still_on_the_way(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] == "history" and connection.index == 1:
            *earlier, reply = frame["messages"]
            held.update(reply=reply, connection=connection)
            connection.send_to_page({**frame, "messages": earlier, "pending_reply": earlier[-1]["client_id"]})
            return False
        return True

    SocketProxy(page, on_server=reconnect_while_the_reply_is_still_on_the_way)
    chat = open_chat(page, live_server_url)
    chat.send(QUESTION)
    chat.expect_exchange(customer=[QUESTION], replies=1)
    page.reload()
    chat.wait_until_connected()
    wait_until(page, lambda: held)
    chat.expect_exchange(customer=[QUESTION], replies=0)
    chat.record_reply()
    reply, connection = held["reply"], held["connection"]
    token = {"type": "token", "reply_to": reply["reply_to"]}

    connection.send_to_page({**token, "attempt": "the-first-worker", "delta": "the middle of a sentence"})
    connection.send_to_page({**token, "attempt": "the-first-worker", "delta": " and its end"})
    expect(chat.typing).to_have_class("chat__typing is-visible")
    connection.send_to_page({**token, "attempt": "the-second-worker", "delta": "From the start,"})
    connection.send_to_page({**token, "attempt": "the-second-worker", "delta": " whole."})
    expect(chat.preview.locator(".message__text")).to_have_text("From the start, whole.")
    assert chat.stream_observations() == ["From the start,", "From the start, whole."]

    connection.send_to_page({"type": "message", "message": reply})
    chat.expect_exchange(customer=[QUESTION], replies=1)
    expect(chat.preview.locator(".message__text")).to_have_count(0)


def wait_until(page, condition, timeout_seconds: float = 10) -> None:
    """Lets the browser and the proxy's callbacks run until `condition()` is truthy."""
    for _ in range(int(timeout_seconds * 50)):
        if condition():
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"{condition} still false after {timeout_seconds} s")


@pytest.mark.parametrize("reload_first", [False, True], ids=["at-once", "after-a-reload"])
def test_a_refused_message_shows_the_server_detail_and_can_be_tried_again(
    page, live_server_url, reload_first
):
    def inflate_the_first_attempt(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] == "message" and len(proxy.sent_messages()) == 1:
            connection.send_to_server({**frame, "text": "x" * 2100})  # the server's own limit check
            return False
        return True

    proxy = SocketProxy(page, on_client=inflate_the_first_attempt)
    chat = open_chat(page, live_server_url)
    chat.send(QUESTION)

    expect(chat.notice).to_contain_text("The message is 2100 characters long; the limit is 2000.")
    failed = chat.customer_messages.first
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed).to_contain_text("Not sent")
    expect(chat.typing).not_to_have_class("chat__typing is-visible")

    if reload_first:  # the refused message is kept in the outbox, and so is its retry button
        page.reload()
        chat.wait_until_connected()
        expect(failed).to_contain_text("Not sent")
    failed.get_by_role("button", name="Try again").click()
    chat.expect_exchange(customer=[QUESTION], replies=1)
    expect(chat.notice).not_to_have_class("chat__notice is-visible")


def test_the_typing_indicator_goes_away_when_the_server_falls_silent(page, live_server_url):
    silent = {"after_acknowledgement": True}

    def fall_silent_after_the_acknowledgement(frame: Frame, connection: ProxiedConnection) -> bool:
        acknowledgement = frame["type"] == "message" and frame["message"]["sender"] == "customer"
        return acknowledgement or not silent["after_acknowledgement"] or frame["type"] == "history"

    SocketProxy(page, on_server=fall_silent_after_the_acknowledgement)
    page.clock.install()
    chat = open_chat(page, live_server_url)
    chat.send(QUESTION)
    expect(chat.customer_messages.first).to_have_attribute("data-state", "sent")
    expect(chat.typing).to_have_class("chat__typing is-visible")

    page.clock.fast_forward((REPLY_TIMEOUT_SECONDS - 1) * 1000)
    expect(chat.typing).to_have_class("chat__typing is-visible")
    page.clock.fast_forward(2000)
    expect(chat.typing).not_to_have_class("chat__typing is-visible")
    expect(chat.notice).to_contain_text("taking longer than usual")

    # The server answered all along; "Check again" fetches the history that holds the reply.
    silent["after_acknowledgement"] = False
    chat.notice.get_by_role("button", name="Check again").click()
    chat.expect_exchange(customer=[QUESTION], replies=1)


def test_reconnect_delays_double_with_jitter_up_to_a_ceiling(page, live_server_url):
    open_chat(page, live_server_url)
    delays = page.evaluate(
        """() => [0, 1, 2, 3, 10].map((attempt) => [
          ChatbotChat.backoffDelay(attempt, () => 0), ChatbotChat.backoffDelay(attempt, () => 1)])"""
    )
    assert delays == [[250, 500], [500, 1000], [1000, 2000], [2000, 4000], [7500, 15000]]
