"""The customer chat page in a real browser, against the real server and the real tiny model."""

import pytest
from playwright.sync_api import expect

from tests.chatbot.browser.chat_page import open_chat
from tests.chatbot.browser.conftest import PHONE, save_screenshot

pytestmark = pytest.mark.browser

QUESTION = "Where is my order? I ordered a tent last week."
HOSTILE = "<img src=x onerror=alert(1)>"


def test_the_reply_streams_in_token_by_token_and_is_still_there_after_a_reload(page, live_server_url):
    chat = open_chat(page, live_server_url)
    chat.record_reply()

    chat.send(QUESTION)
    expect(chat.customer_messages).to_have_count(1)  # shown at once, before the server confirms it
    expect(chat.bot_messages).to_have_count(1)
    assert chat.typing_was_shown()

    observed = chat.stream_observations()
    assert len(observed) >= 2, f"the reply did not grow token by token: {observed}"
    for shorter, longer in zip(observed, observed[1:], strict=False):
        assert longer.startswith(shorter) and len(longer) > len(shorter), observed
    final_text = chat.texts(chat.bot_messages)[0]
    assert final_text == observed[-1], "the final message must equal the streamed text"
    expect(chat.preview).to_be_empty()  # the streaming bubble was replaced, not left beside it
    expect(chat.typing).not_to_have_class("chat__typing is-visible")
    chat.expect_exchange(customer=[QUESTION], replies=1)

    page.reload()
    chat.wait_until_connected()
    chat.expect_exchange(customer=[QUESTION], replies=1)
    assert chat.texts(chat.bot_messages) == [final_text]


def test_a_hostile_message_is_shown_as_text_and_never_run(page, live_server_url):
    chat = open_chat(page, live_server_url)
    chat.send(HOSTILE)
    expect(chat.customer_messages.locator(".message__text")).to_have_text([HOSTILE])
    expect(chat.customer_messages.first).to_have_attribute("data-state", "sent")
    expect(chat.messages).to_have_count(2)  # and the reply (or a notice), so every frame has arrived
    expect(page.locator("#chat-log img")).to_have_count(0)
    # The page fixture fails the test if alert() ran.


def test_the_chat_works_from_the_keyboard_alone_and_keeps_line_breaks(page, live_server_url):
    chat = open_chat(page, live_server_url)
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "chat-input":
            break
        page.keyboard.press("Tab")
    expect(chat.input).to_be_focused()

    two_lines = "My order has two problems:\n1. it is late"
    page.keyboard.type("My order has two problems:")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("1. it is late")
    expect(chat.input).to_have_value(two_lines)
    page.keyboard.press("Enter")

    expect(chat.input).to_have_value("")
    expect(chat.customer_messages).to_have_count(1)
    # innerText is what is rendered: a collapsed line break would come back as a space.
    assert chat.customer_messages.locator(".message__text").inner_text() == two_lines
    expect(chat.bot_messages).to_have_count(1)

    page.keyboard.type("Thanks")
    page.keyboard.press("Tab")
    expect(chat.send_button).to_be_focused()
    ring = chat.send_button.evaluate("(button) => getComputedStyle(button).outlineWidth")
    assert float(ring.removesuffix("px")) >= 2, f"no visible focus ring on the send button ({ring})"
    page.keyboard.press("Enter")  # a focused button sends with the keyboard too
    expect(chat.customer_messages).to_have_count(2)


def test_the_counter_appears_near_the_limit_and_blocks_an_oversized_message(page, live_server_url):
    chat = open_chat(page, live_server_url)
    chat.input.fill("a" * 1000)
    expect(chat.counter).to_be_hidden()
    chat.input.fill("a" * 1700)
    expect(chat.counter).to_have_text("1,700 / 2,000")
    expect(chat.send_button).to_be_enabled()
    chat.input.fill("a" * 2005)
    expect(chat.counter).to_have_text("5 characters over the 2,000 limit")
    expect(chat.send_button).to_be_disabled()
    expect(chat.input).to_have_attribute("aria-invalid", "true")
    chat.input.press("Enter")
    expect(chat.messages).to_have_count(0)


def test_the_page_fits_a_phone_and_a_desktop(page, live_server_url):
    chat = open_chat(page, live_server_url)
    chat.send("How can I get a refund? Please list the steps.")
    expect(chat.bot_messages).to_have_count(1)
    save_screenshot(page, "chat-page-desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    chat.wait_until_connected()
    chat.expect_exchange(customer=["How can I get a refund? Please list the steps."], replies=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "horizontal scrolling"
    composer = page.locator("#chat-composer").bounding_box()
    assert composer["y"] + composer["height"] <= PHONE["height"], "the composer is off screen"

    for follow_up in ["And how long does the refund take?", "Thank you!"]:
        chat.send(follow_up)
        expect(chat.customer_messages.last).to_be_in_viewport()
        expect(chat.bot_messages).to_have_count(chat.customer_messages.count())
        expect(chat.bot_messages.last).to_be_in_viewport()  # the list follows the newest message
    save_screenshot(page, "chat-page-phone")
