"""Markup in messages is shown as text everywhere (docs/resilience.md, "Hostile input").

One customer writes HTML and script in every form a browser might run: the chat page, the widget (the
same conversation in the embed iframe) and the staff console show it literally, create no element from
it and run nothing (the pages fail the test on any dialog or script error). The admin is checked
through Django's test client (tests/chatbot/fuzz/test_markup_in_admin.py).
"""

import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.chatbot.browser.chat_page import ChatView, open_chat
from tests.chatbot.browser.conftest import DESKTOP, REPLY_TIMEOUT_SECONDS
from tests.chatbot.browser.console_page import sign_in, strict_page
from tests.chatbot.browser.server_state import add_staff_member, close_open_conversations

pytestmark = pytest.mark.browser

# Each would add an element or run code if a page parsed message text as HTML.
MARKUP = [
    "<img src=x onerror=alert('img')>",
    "<script>alert('script')</script>",
    "<svg onload=alert('svg')></svg>",
    '"><iframe src="javascript:alert(`iframe`)"></iframe>',
    "<b>bold</b> <a href=javascript:alert('link')>click</a>",
]
HOSTILE = " ".join(MARKUP)
CONTACT_NOTE = "Call me <img src=x onerror=alert('contact')>"
# Elements the markup would have created, looked for in whatever shows messages.
INJECTED = "img, script:not([src]):not([type]), svg:not([aria-hidden]), iframe, b, a[href^=javascript]"


@pytest.fixture(scope="module")
def staff_member(chat_server) -> str:
    return add_staff_member(chat_server, "mallory-watch", first_name="Morgan")


@pytest.fixture
def nobody_waiting(chat_server) -> None:
    close_open_conversations(chat_server)


def expect_literal(texts: Locator, text: str) -> None:
    expect(texts.filter(has_text=text)).to_have_count(1)
    expect(texts.filter(has_text=text).locator(INJECTED)).to_have_count(0)


def test_markup_in_a_message_is_text_on_the_chat_page_in_the_widget_and_in_the_console(
    browser: Browser, chat_server, staff_member, nobody_waiting
):
    customer_context = browser.new_context(viewport=DESKTOP)
    staff_context = browser.new_context(viewport={"width": 1440, "height": 900})
    for context in (customer_context, staff_context):
        context.set_default_timeout(REPLY_TIMEOUT_SECONDS * 1000)
    customer_page, customer_problems = strict_page(customer_context)
    staff_page, staff_problems = strict_page(staff_context)

    chat = open_chat(customer_page, chat_server.url)
    chat.send(HOSTILE)
    chat.expect_exchange(customer=[HOSTILE], replies=1)
    expect_literal(chat.customer_messages.locator(".message__text"), HOSTILE)
    expect(customer_page.locator("#chat-log").locator(INJECTED)).to_have_count(0)

    # The same conversation in the widget: the embed iframe on the company page, same customer cookie.
    customer_page.goto(f"{chat_server.url}/widget/demo/")
    customer_page.get_by_role("button", name="Chat with").click()
    widget = ChatView(customer_page.frame_locator("chatbot-widget iframe"))
    widget.wait_until_connected()
    expect_literal(widget.customer_messages.locator(".message__text"), HOSTILE)
    expect(widget.log.locator(INJECTED)).to_have_count(0)

    # Handed to staff, with a contact note: the console shows both as text (queue, transcript, details).
    widget.root.get_by_role("button", name="Talk to a person").click()
    widget.root.get_by_label("Your e-mail address").fill("mallory@example.com")
    widget.root.get_by_label("A message for our team").fill(CONTACT_NOTE)
    widget.root.get_by_role("button", name="Send my details").click()
    expect(widget.root.locator("#chat-banner")).to_contain_text("we will reply to mallory@example.com")

    console = sign_in(staff_page, chat_server.url, username=staff_member)
    expect(console.queue).to_have_count(1)
    console.open_first_waiting()
    expect_literal(console.customer_lines, HOSTILE)
    expect_literal(staff_page.locator("#contact-details"), CONTACT_NOTE)
    shown = staff_page.locator("#queue-list, #mine-list, #transcript, #contact-details")
    expect(shown.locator(INJECTED)).to_have_count(0)

    customer_context.close()
    staff_context.close()
    assert customer_problems == [] and staff_problems == [], "no script ran, no error"
