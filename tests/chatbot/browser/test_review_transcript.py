"""Transcript review in a real browser: a customer chats with the real tiny model; a reviewer signs in to
the admin, finds the conversation by its text, opens the transcript, marks the bot's reply bad with a
correction, sees the review saved, and downloads the conversation as CSV. Screenshots go to
test-output/screenshots/."""

import csv
import io
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.chatbot.browser.chat_page import open_chat
from tests.chatbot.browser.conftest import DESKTOP, REPLY_TIMEOUT_SECONDS, save_screenshot
from tests.chatbot.browser.console_page import strict_page

pytestmark = pytest.mark.browser

REVIEWER_PASSWORD = "correct-horse-battery-staple"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def reviewer_account(chat_server) -> str:
    """Rita, given admin access and the "Transcript reviewers" group as docs/review.md describes."""
    chat_server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User; "
        "user, _ = User.objects.get_or_create(username='rita'); user.first_name = 'Rita'; "
        f"user.is_staff = True; user.set_password({REVIEWER_PASSWORD!r}); user.save(); "
        "user.groups.add(Group.objects.get(name='Transcript reviewers'))",
    )
    return "rita"


def test_a_reviewer_corrects_a_bot_reply_and_sees_it_saved(
    browser: Browser, live_server_url, reviewer_account
):
    # A customer asks something; the tiny model answers.
    customer_context = browser.new_context(viewport=DESKTOP)
    customer_context.set_default_timeout(REPLY_TIMEOUT_SECONDS * 1000)
    customer_page, customer_problems = strict_page(customer_context)
    marker = uuid.uuid4().hex[:8]
    chat = open_chat(customer_page, live_server_url)
    chat.send(f"Where is my order {marker}? {HOSTILE}")
    expect(chat.bot_messages).to_have_count(1)
    bot_text = chat.bot_messages.first.locator(".message__text").inner_text()
    customer_context.close()

    # The reviewer signs in to the admin and finds the conversation by a word in it.
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(REPLY_TIMEOUT_SECONDS * 1000)
    page, problems = strict_page(context)
    page.goto(f"{live_server_url}/admin/conversations/conversation/")
    page.get_by_label("Username").fill(reviewer_account)
    page.get_by_label("Password").fill(REVIEWER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#searchbar").fill(marker)
    page.locator("#searchbar").press("Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    save_screenshot(page, "review-list")
    rows.first.locator("th a").click()

    # The transcript: the customer's words as text (the hostile tag never runs), the bot's details.
    customer_line = page.locator(".review-message--customer").first
    expect(customer_line).to_contain_text(HOSTILE)
    reply = page.locator(".review-message--bot").first
    expect(reply).to_contain_text(bot_text.strip())
    expect(reply.locator(".review-message__details")).to_contain_text("Confidence")

    # Mark it bad with a correction; the page comes back with the review.
    correction = f"Your order {marker} left our warehouse today; tracking follows by e-mail."
    reply.get_by_text("Review this reply").click()
    reply.get_by_label("Bad").check()
    reply.get_by_label("Wrong facts").check()
    reply.get_by_label("Corrected reply").fill(correction)
    reply.get_by_role("button", name="Save review").click()

    expect(page.locator(".messagelist")).to_contain_text("Review saved.")
    summary = page.locator(".review-message--bot").first.get_by_test_id("review-summary")
    expect(summary).to_contain_text("Reviewed: Bad (Wrong facts) by rita")
    expect(summary).to_contain_text(correction)
    save_screenshot(page, "review-transcript-saved")

    # A bad save is refused with the reason, and the saved review stays.
    reply = page.locator(".review-message--bot").first
    reply.get_by_text("Change the review").click()
    reply.get_by_label("Good").check()
    reply.get_by_role("button", name="Save review").click()
    expect(page.locator(".review-message--bot").first).to_contain_text("A good reply has no reasons")
    expect(page.locator(".review-message--bot").first.get_by_test_id("review-summary")).to_contain_text(
        "Reviewed: Bad"
    )
    save_screenshot(page, "review-transcript-error")

    # Back on the list, still searched: the CSV export streams from the real server (daphne, ASGI).
    page.goto(f"{live_server_url}/admin/conversations/conversation/?q={marker}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [row["sender"] for row in rows] == ["customer", "bot"]
    assert rows[0]["text"] == f"Where is my order {marker}? {HOSTILE}"
    assert (rows[1]["review"], rows[1]["corrected_reply"]) == ("bad", correction)
    context.close()
    assert customer_problems == [] and problems == []
