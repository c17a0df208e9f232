"""Personalization in a real browser (docs/personalization.md): the "Your conversations" panel lists
earlier conversations, reads one again and starts a new one; signing in brings the anonymous chat along
and the welcome greets the customer by name; signing out leaves nothing of theirs on screen. Axe checks
the panel and the sign-in page in light and dark."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.chatbot.browser.chat_page import ChatView, open_chat
from tests.chatbot.browser.conftest import DESKTOP, PHONE, ChatServer, save_screenshot
from tests.chatbot.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

MARKUP = "<img src=x onerror=alert(1)> my tent pole broke"


@pytest.fixture(scope="module")
def demo_customer(chat_server: ChatServer) -> None:
    """Sam Walker with his orders, as scripts/run.sh makes him (the command wants DEBUG on)."""
    chat_server.manage("ensure_demo_customer", extra_env={"DEBUG": "true"})


class ConversationsPanel:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.toggle = page.get_by_role("button", name="Your conversations")
        self.panel = page.locator("#chat-history")
        self.items = page.locator("#chat-history-list .chat__history-item")
        self.previews = page.locator("#chat-history-list .chat__history-preview")
        self.viewing = page.locator("#chat-viewing")
        self.composer = page.locator("#chat-composer")
        self.empty_title = page.locator(".chat__empty-title")

    def open(self) -> None:
        self.toggle.click()
        expect(self.panel).to_be_visible()

    def start_new(self) -> None:
        if self.panel.is_hidden():
            self.open()
        self.page.get_by_role("button", name="New conversation").click()
        expect(self.panel).to_be_hidden()
        expect(self.page.locator("#chat-log > li")).to_have_count(0)  # the new conversation's history


def ask(chat: ChatView, text: str) -> None:
    replies = chat.bot_messages.count()
    chat.send(text)
    expect(chat.bot_messages).to_have_count(replies + 1)


def test_a_customer_reads_an_earlier_conversation_and_starts_new_ones(page: Page, live_server_url: str):
    chat = open_chat(page, live_server_url)
    panel = ConversationsPanel(page)
    ask(chat, MARKUP)

    panel.open()
    expect(panel.items).to_have_count(1)
    expect(panel.items.first).to_have_attribute("aria-current", "true")
    expect(panel.previews.first).to_have_text(MARKUP)  # as text: no image, no alert

    panel.start_new()
    expect(chat.messages).to_have_count(0)
    expect(panel.empty_title).to_have_text("Hi! How can we help?")
    expect(panel.empty_title).to_be_visible()
    ask(chat, "where is my order")

    panel.open()
    expect(panel.items).to_have_count(2)
    expect(panel.previews).to_have_text(["where is my order", MARKUP])
    panel.items.nth(1).click()
    expect(panel.viewing).to_be_visible()
    expect(panel.composer).to_be_hidden()
    expect(chat.customer_messages).to_have_count(1)
    assert chat.texts(chat.customer_messages) == [MARKUP]
    save_screenshot(page, "conversations-earlier")

    page.get_by_role("button", name="Back to the current conversation").click()
    expect(panel.composer).to_be_visible()
    expect(chat.customer_messages.locator(".message__text")).to_have_text(["where is my order"])
    chat.input.focus()  # the composer is usable again
    expect(chat.input).to_be_focused()


def test_signing_in_brings_the_chat_along_and_greets_by_name(
    page: Page, live_server_url: str, demo_customer: None
):
    chat = open_chat(page, live_server_url)
    panel = ConversationsPanel(page)
    ask(chat, "hello from before I signed in")

    panel.open()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("northwind-demo")
    page.get_by_role("button", name="Sign in").click()

    chat.wait_until_connected()
    expect(chat.customer_messages.locator(".message__text")).to_have_text(["hello from before I signed in"])
    panel.start_new()
    expect(panel.empty_title).to_have_text("Hi Sam Walker! How can we help?")
    expect(panel.empty_title).to_be_visible()
    save_screenshot(page, "conversations-greeting")
    panel.open()
    expect(panel.panel).to_contain_text("Signed in as sam.")
    expect(panel.previews).to_have_text(["hello from before I signed in"])
    save_screenshot(page, "conversations-signed-in")

    page.get_by_role("button", name="Sign out").click()
    chat.wait_until_connected()
    expect(panel.empty_title).to_have_text("Hi! How can we help?")
    expect(chat.messages).to_have_count(0)
    panel.open()
    expect(panel.page.locator("#chat-history-note")).to_have_text(
        "No conversations yet. Your questions will be listed here."
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_panel_the_earlier_conversation_and_the_sign_in_page_pass_axe(
    browser: Browser, live_server_url: str, scheme: str
):
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    chat = open_chat(page, live_server_url)
    panel = ConversationsPanel(page)
    ask(chat, "Where is my parcel?")
    panel.start_new()
    ask(chat, "And my refund?")
    panel.open()
    expect(panel.items).to_have_count(2)
    assert_accessible(page)
    panel.items.nth(1).click()
    expect(panel.viewing).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live_server_url}/account/login/")
    assert_accessible(page)
    context.close()


def test_the_panel_fits_a_phone(browser: Browser, live_server_url: str):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    chat = open_chat(page, live_server_url)
    ask(chat, "a question on a phone")
    ConversationsPanel(page).open()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    save_screenshot(page, "conversations-phone")
    context.close()
