"""Thumbs up/down on the bot's replies, in a real browser against the real server and tiny model."""

import pytest
from playwright.sync_api import expect

from tests.chatbot.browser.chat_page import open_chat
from tests.chatbot.browser.conftest import save_screenshot

pytestmark = pytest.mark.browser


def test_a_vote_survives_a_reload_and_can_be_changed_from_the_keyboard(page, live_server_url):
    chat = open_chat(page, live_server_url)
    chat.send("Where is my order?")
    expect(chat.bot_messages).to_have_count(1)
    reply = chat.bot_messages.first
    helpful = reply.get_by_role("button", name="Helpful", exact=True)
    not_helpful = reply.get_by_role("button", name="Not helpful", exact=True)
    expect(helpful).to_have_attribute("aria-pressed", "false")
    expect(not_helpful).to_have_attribute("aria-pressed", "false")
    # Only final bot replies are rated: never the customer's own message.
    expect(chat.customer_messages.locator("button.message__vote")).to_have_count(0)

    not_helpful.click()
    expect(not_helpful).to_have_attribute("aria-pressed", "true")

    page.reload()
    chat.wait_until_connected()
    reply = chat.bot_messages.first
    helpful = reply.get_by_role("button", name="Helpful", exact=True)
    not_helpful = reply.get_by_role("button", name="Not helpful", exact=True)
    expect(not_helpful).to_have_attribute("aria-pressed", "true")
    expect(helpful).to_have_attribute("aria-pressed", "false")

    helpful.focus()
    page.keyboard.press("Space")
    expect(helpful).to_have_attribute("aria-pressed", "true")
    expect(not_helpful).to_have_attribute("aria-pressed", "false")
    save_screenshot(page, "reply-feedback-helpful")

    # The same thumb again takes the vote back, and that too survives a reload.
    page.keyboard.press("Enter")
    expect(helpful).to_have_attribute("aria-pressed", "false")
    page.reload()
    chat.wait_until_connected()
    expect(chat.bot_messages.first.locator('button[aria-pressed="true"]')).to_have_count(0)
    expect(chat.bot_messages.first.locator("button.message__vote")).to_have_count(2)
