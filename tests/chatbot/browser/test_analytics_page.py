"""The analytics page in Chromium against the real server, seeded with the hand-built data set of
tests/chatbot/analytics/dataset.py: a transcript reviewer signs in, reads the figures and the charts,
opens a table, changes the period, gets a clear error for an impossible one; axe finds nothing in the
light or dark scheme. Screenshots (desktop light and dark, phone) go to test-output/screenshots/."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.chatbot.browser.conftest import DESKTOP, PHONE, save_screenshot
from tests.chatbot.browser.console_page import STAFF_PASSWORD, strict_page
from tests.chatbot.browser.test_accessibility import AXE_OPTIONS

pytestmark = pytest.mark.browser
MARCH = "/analytics/?from=2025-03-01&to=2025-03-03"


@pytest.fixture(scope="module")
def reviewer(chat_server) -> str:
    """Ann, a transcript reviewer (not support staff), and the hand-built data set of March 2025."""
    chat_server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User; "
        "from chatbot.review.reviewer_group import REVIEWER_GROUP; "
        "from tests.chatbot.analytics.dataset import build_example; "
        "user, _ = User.objects.get_or_create(username='analytics-ann', defaults={'first_name': 'Ann'}); "
        f"user.set_password({STAFF_PASSWORD!r}); user.save(); "
        "user.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0]); "
        "build_example()",
    )
    return "analytics-ann"


@contextmanager
def signed_in(browser: Browser, base_url: str, username: str, *, viewport: dict = DESKTOP) -> Iterator[Page]:
    """A fresh browser profile signed in on the analytics page; no script error or dialog may happen."""
    context = browser.new_context(viewport=viewport)
    page, problems = strict_page(context)
    sign_in(page, base_url, username)
    yield page
    context.close()
    assert problems == []


def sign_in(page: Page, base_url: str, username: str, path: str = MARCH) -> None:
    page.goto(f"{base_url}{path}")
    expect(page).to_have_url(re.compile(r"/support/login/\?next=/analytics/"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Support analytics")).to_be_visible()
    # The heading shows before the stylesheet applies on a busy machine; layout checks need the styles.
    page.wait_for_load_state("load")


def figure(page: Page, name: str):
    return page.locator(".figure", has=page.get_by_text(name, exact=True)).locator("dd")


def test_a_reviewer_reads_the_figures_charts_and_tables(browser: Browser, chat_server, reviewer):
    with signed_in(browser, chat_server.url, reviewer) as page:
        expect(page).to_have_url(f"{chat_server.url}{MARCH}")
        expect(figure(page, "Conversations")).to_have_text("5")
        expect(figure(page, "Handed to staff")).to_contain_text("60 %")
        expect(figure(page, "First bot token")).to_contain_text("300 ms")
        expect(figure(page, "First staff reply")).to_contain_text("1 min 30 s")
        expect(figure(page, "CSAT")).to_contain_text("3.50")
        expect(page.get_by_role("link", name="Staff console")).to_have_count(0)  # a reviewer is not staff

        per_day = page.get_by_role("img", name="Conversations started per day")
        expect(per_day).to_be_visible()
        expect(per_day.locator("rect")).to_have_count(3)
        for name in ("Bot replies by intent", "CSAT ratings", "Conversations answered by the bot alone"):
            expect(page.get_by_role("img", name=name)).to_be_visible()

        table = page.get_by_role("table").filter(has_text="Sat 1 March 2025")
        expect(table).to_be_hidden()
        page.get_by_text("Conversations per day as a table").click()
        expect(table.get_by_role("row", name="Sat 1 March 2025 2")).to_be_visible()

        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            results = Axe().run(page, options=AXE_OPTIONS)
            assert results.violations_count == 0, results.generate_report()
            save_screenshot(page, f"analytics-desktop-{scheme}")


def test_the_period_changes_and_an_impossible_one_is_explained(browser: Browser, chat_server, reviewer):
    with signed_in(browser, chat_server.url, reviewer) as page:
        first_day = page.get_by_label("From", exact=True)
        first_day.fill("2025-03-02")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(f"{chat_server.url}/analytics/?from=2025-03-02&to=2025-03-03")
        expect(figure(page, "Conversations")).to_have_text("3")  # C3, C7 and C4

        first_day.fill("2025-03-05")
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("alert")).to_have_text(
            "The first day (5 March 2025) is after the last day (3 March 2025)."
        )
        expect(first_day).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_role("img")).to_have_count(0)

        page.get_by_role("link", name="7 days").click()
        expect(figure(page, "Conversations")).to_be_visible()


def test_on_a_phone_the_page_is_one_column(browser: Browser, chat_server, reviewer):
    with signed_in(browser, chat_server.url, reviewer, viewport=PHONE) as page:
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= PHONE["width"], "the page itself never scrolls sideways; only wide charts do"
        save_screenshot(page, "analytics-phone")
