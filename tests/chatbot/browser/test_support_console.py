"""A customer and a support agent in two real browser contexts, against the real server (embedded mode,
the real tiny model): the hand-over from the bot, the live queue, the claim, messages and typing both
ways, canned responses, internal notes, the model's draft, the resolution and the customer's rating.
Screenshots of the console and of the customer's chat go to test-output/screenshots/."""

import sqlite3
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from chatbot.conversations.protocol import TEMPORARILY_UNAVAILABLE_TEXT
from tests.chatbot.browser.chat_page import ChatView
from tests.chatbot.browser.conftest import DESKTOP, PHONE, REPLY_TIMEOUT_SECONDS, save_screenshot
from tests.chatbot.browser.console_page import STAFF_PASSWORD, sign_in, strict_page
from tests.chatbot.browser.socket_proxy import Frame, ProxiedConnection, SocketProxy
from tests.chatbot.browser.test_accessibility import AXE_OPTIONS

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
RETURNS_TEXT = (
    "You can return any item within 60 days. "
    "Start the return from your order page and we e-mail you a free label."
)
CONSOLE_WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def staff_account(chat_server) -> str:
    """Dana, made with the documented command, and one canned response made as an admin would."""
    chat_server.manage(
        "create_staff_user",
        "dana",
        "--first-name",
        "Dana",
        "--last-name",
        "Scully",
        "--password-env",
        "STAFF_PASSWORD",
        extra_env={"STAFF_PASSWORD": STAFF_PASSWORD},
    )
    chat_server.manage(
        "shell",
        "-c",
        "from chatbot.support.models import CannedResponse; CannedResponse.objects.get_or_create("
        f"shortcut='returns', defaults={{'title': 'How returns work', 'text': {RETURNS_TEXT!r}}})",
    )
    return "dana"


@pytest.fixture(autouse=True)
def empty_queue(chat_server) -> None:
    """Other browser tests share the server, and the tiny test model is unsure enough that some of their
    conversations were handed to staff: close every open conversation so the queue starts empty."""
    chat_server.manage(
        "shell",
        "-c",
        "from chatbot.conversations.models import Conversation; "
        "Conversation.objects.exclude(status='closed').update(status='closed')",
    )


@pytest.fixture
def two_people(browser: Browser):
    """A customer's browser and a staff member's browser: separate cookies, separate sessions."""
    customer_context = browser.new_context(viewport=DESKTOP)
    staff_context = browser.new_context(viewport=CONSOLE_WIDE)
    for context in (customer_context, staff_context):
        context.set_default_timeout(REPLY_TIMEOUT_SECONDS * 1000)
    customer_page, customer_problems = strict_page(customer_context)
    staff_page, staff_problems = strict_page(staff_context)
    yield customer_page, staff_page
    customer_context.close()
    staff_context.close()
    assert customer_problems == [] and staff_problems == []


def open_chat_as_customer(page, base_url: str) -> ChatView:
    page.goto(f"{base_url}/")
    chat = ChatView(page)
    chat.wait_until_connected()
    return chat


def assert_accessible(page, context=None) -> None:
    results = Axe().run(page, context=context, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_a_customer_asks_for_a_person_who_claims_answers_and_resolves_and_the_customer_rates(
    two_people, chat_server, staff_account
):
    customer_page, staff_page = two_people
    console = sign_in(staff_page, chat_server.url, username=staff_account)
    expect(staff_page.locator("#queue-empty")).to_be_visible()

    chat = open_chat_as_customer(customer_page, chat_server.url)
    chat.send("Hello")
    expect(chat.bot_messages).to_have_count(1)
    customer_page.get_by_role("button", name="Talk to a person").click()
    banner = customer_page.locator("#chat-banner")
    expect(banner).to_have_text("A support agent will join shortly — you are number 1 in the queue.")
    expect(customer_page.get_by_role("button", name="Talk to a person")).to_be_hidden()

    # The queue updates by itself, and the tab title counts who is waiting.
    expect(console.queue).to_have_count(1)
    expect(staff_page).to_have_title("(1) Support console")
    expect(console.queue.first).to_contain_text("Pressed “Talk to a person”")
    console.open_first_waiting()
    expect(console.transcript.filter(has_text="Hello")).to_have_count(1)
    expect(staff_page.locator("#transcript .line--bot .line__internals")).to_contain_text("confident")
    console.claim()
    expect(banner).to_have_text("Dana from support joined the conversation.")
    expect(staff_page).to_have_title("Support console")

    # Staff → customer, with the typing indicator; markup stays text.
    console.input.fill("Hi, I'm Dana")
    expect(customer_page.locator("#chat-typing")).to_have_text("Dana from support is typing…")
    console.input.fill(f"Hi, I'm Dana. Looking into it {HOSTILE}")
    console.input.press("Enter")
    staff_message = customer_page.locator("#chat-log > li.message--staff")
    expect(staff_message.locator(".message__text")).to_have_text(f"Hi, I'm Dana. Looking into it {HOSTILE}")
    expect(staff_message.locator(".message__sender")).to_have_text("Dana from support")
    expect(customer_page.locator("#chat-log img")).to_have_count(0)

    # Customer → staff, with the typing indicator.
    chat.input.fill("Thanks")
    expect(console.typing).to_contain_text("is typing…")
    chat.send(f"Thanks Dana, the tent pole arrived broken. {HOSTILE}")
    expect(console.customer_lines.filter(has_text=f"the tent pole arrived broken. {HOSTILE}")).to_have_count(
        1
    )
    expect(staff_page.locator("#transcript img, #queue-list img, #mine-list img")).to_have_count(0)
    expect(chat.bot_messages).to_have_count(1)  # the bot stays silent while Dana has it

    save_screenshot(staff_page, "support-console-conversation")
    save_screenshot(customer_page, "support-customer-with-staff")
    assert_accessible(staff_page)

    console.resolve("Solved")
    expect(banner).to_have_text("This conversation has ended. Send a message to start a new one.")
    rating = customer_page.locator("#chat-csat")
    expect(rating).to_be_visible()
    expect(customer_page.locator("#chat-csat-title")).to_have_text("How did Dana do?")
    save_screenshot(customer_page, "support-customer-rating")
    assert_accessible(customer_page)
    customer_page.locator("label[for=chat-csat-4]").click()  # a click on the fourth star …
    expect(customer_page.locator("#chat-csat-caption")).to_have_text("Good")
    customer_page.keyboard.press("ArrowRight")  # … and the keyboard moves to the fifth
    expect(customer_page.get_by_label("5 of 5, excellent")).to_be_checked()
    expect(customer_page.locator("#chat-csat-caption")).to_have_text("Excellent")
    expect(customer_page.locator(".rating__star.is-lit")).to_have_count(5)
    customer_page.get_by_label("Anything to add?").fill("Quick and friendly")
    customer_page.get_by_role("button", name="Send rating").click()
    expect(customer_page.locator("#chat-csat-thanks")).to_have_text("Thank you for your feedback!")
    expect(rating).to_be_hidden()
    expect(console.timeline.last).to_contain_text("Resolved by Dana Scully (Solved)")

    # Other tests share this server's database (the analytics test seeds rated conversations): this one's.
    row = (
        server_database(chat_server)
        .execute("select rating, comment from support_csatrating where comment = 'Quick and friendly'")
        .fetchall()
    )
    assert row == [(5, "Quick and friendly")]


def test_a_staff_message_the_server_could_not_store_goes_back_into_the_composer(
    two_people, chat_server, staff_account
):
    customer_page, staff_page = two_people
    refused: list[Frame] = []

    def the_database_fails_once(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] != "message" or refused:
            return True
        refused.append(frame)  # answered the way the server answers a failing database
        connection.send_to_page(
            {
                "type": "error",
                "code": "temporarily_unavailable",
                "detail": TEMPORARILY_UNAVAILABLE_TEXT,
                "conversation": frame["conversation"],
                "client_id": frame["client_id"],
            }
        )
        return False

    SocketProxy(staff_page, on_client=the_database_fails_once, path="/ws/support/")
    console = sign_in(staff_page, chat_server.url, username=staff_account)
    chat = open_chat_as_customer(customer_page, chat_server.url)
    chat.send("Hello")
    expect(chat.bot_messages).to_have_count(1)
    customer_page.get_by_role("button", name="Talk to a person").click()
    expect(console.queue).to_have_count(1)
    console.open_first_waiting()
    console.claim()

    console.write("Your replacement pole ships today.")
    expect(console.notice).to_have_text(TEMPORARILY_UNAVAILABLE_TEXT)
    expect(console.input).to_have_value("Your replacement pole ships today.")
    console.input.press("Enter")
    staff_message = customer_page.locator("#chat-log > li.message--staff .message__text")
    expect(staff_message).to_have_text(["Your replacement pole ships today."])
    expect(console.input).to_have_value("")


def test_with_nobody_online_the_customer_leaves_an_address_and_the_next_shift_picks_it_up(
    two_people, chat_server, staff_account
):
    customer_page, staff_page = two_people
    chat = open_chat_as_customer(customer_page, chat_server.url)
    chat.send("Can I talk to a real person please?")  # the words alone hand it over, before the bot answers
    banner = customer_page.locator("#chat-banner")
    expect(banner).to_contain_text("No one from our team is online right now.")
    form = customer_page.locator("#chat-contact")
    expect(form).to_be_visible()
    customer_page.get_by_label("Your e-mail address").fill("not-an-address")
    customer_page.get_by_role("button", name="Send my details").click()
    expect(customer_page.locator("#chat-contact-error")).to_have_text(
        "Please enter a valid e-mail address, like name@example.com."
    )
    customer_page.get_by_label("Your e-mail address").fill("alice@example.com")
    customer_page.get_by_label("A message for our team").fill("My order 1234 never arrived.")
    customer_page.get_by_role("button", name="Send my details").click()
    expect(banner).to_contain_text("Thanks, we will reply to alice@example.com.")
    expect(form).to_be_hidden()
    chat.send("Are you there?")
    expect(chat.customer_messages.last).to_have_attribute("data-state", "sent")
    expect(chat.bot_messages).to_have_count(0)  # waiting for staff: the bot stays silent
    save_screenshot(customer_page, "support-customer-left-contact")

    page_phone = customer_page
    page_phone.set_viewport_size(PHONE)
    assert page_phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    save_screenshot(page_phone, "support-customer-left-contact-phone")

    console = sign_in(staff_page, chat_server.url, username=staff_account)
    expect(console.queue).to_have_count(1)
    card = console.queue.first
    expect(card).to_contain_text("Left an address: alice@example.com")
    expect(card).to_contain_text("Asked for a person")
    console.open_first_waiting()
    expect(staff_page.locator("#contact-details")).to_contain_text("My order 1234 never arrived.")
    console.claim()
    # The model drafts an answer to the customer's last message; it is never sent by itself.
    expect(console.draft).to_be_visible(timeout=60_000)
    expect(staff_page.locator("#draft-text")).not_to_be_empty()
    staff_page.get_by_role("button", name="Edit in the reply box").click()
    expect(console.input).not_to_have_value("")
    console.input.fill("Sorry for the wait, Alice. I found order 1234.")
    console.input.press("Enter")
    expect(chat.root.locator("#chat-log > li.message--staff")).to_have_count(1)
    expect(console.draft).to_be_hidden()

    # An internal note (Alt+N) reaches the console only.
    console.input.press("Alt+n")
    expect(staff_page.get_by_label("Internal note (staff only)")).to_be_checked()
    console.write("Courier lost it; refund if not found by Friday")
    expect(console.notes).to_have_count(1)
    expect(customer_page.get_by_text("Courier lost it")).to_have_count(0)

    # A canned response: "/" and the shortcut, Enter inserts it, Enter sends it.
    console.input.press("Alt+r")
    console.input.fill("/ret")
    expect(console.canned).to_have_count(1)
    expect(console.canned.first).to_contain_text("/returns")
    console.input.press("Enter")
    expect(console.input).to_have_value(RETURNS_TEXT)
    console.input.press("Enter")
    expect(chat.root.locator("#chat-log > li.message--staff")).to_have_count(2)
    save_screenshot(staff_page, "support-console-note-and-canned")

    console.page.get_by_role("button", name="Hand back to the bot").click()
    expect(customer_page.get_by_role("button", name="Talk to a person")).to_be_visible()
    used = server_database(chat_server).execute(
        "select s.outcome, s.text != m.text from support_suggestedreply s"
        " join conversations_message m on m.id = s.sent_message_id where m.text = ?",
        ["Sorry for the wait, Alice. I found order 1234."],
    )
    assert used.fetchall() == [("edited", 1)]  # the model's words kept beside what was sent


def test_the_console_works_on_a_dark_narrow_screen_and_sign_out_keeps_it_closed(
    browser: Browser, chat_server, staff_account
):
    context = browser.new_context(viewport=PHONE, color_scheme="dark")
    page, problems = strict_page(context)
    console = sign_in(page, chat_server.url, username=staff_account)
    expect(page.locator("#conversation-empty")).to_be_visible()
    assert_accessible(page)  # in the dark scheme (the light one is checked above)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "horizontal scrolling"
    save_screenshot(page, "support-console-phone")
    console.page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("User name")).to_be_visible()
    page.goto(f"{chat_server.url}/support/")
    expect(page).to_have_url(f"{chat_server.url}/support/login/?next=/support/")
    context.close()
    assert problems == []


def server_database(chat_server) -> sqlite3.Connection:
    """The live server's SQLite database, read-only, to check what it stored."""
    path = "/" + urlparse(chat_server.env["DATABASE_URL"]).path.lstrip("/")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
