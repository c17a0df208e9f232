"""The staff console as a test sees it (the customer's side is chat_page.py)."""

from playwright.sync_api import BrowserContext, Page, expect

STAFF_PASSWORD = "correct-horse-battery-staple"


def sign_in(page: Page, base_url: str, *, username: str, password: str = STAFF_PASSWORD) -> "ConsoleView":
    """Open the console, sign in on the page it redirects to, and wait for its socket."""
    page.goto(f"{base_url}/support/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    console = ConsoleView(page)
    console.wait_until_connected()
    return console


def strict_page(context: BrowserContext) -> tuple[Page, list[str]]:
    """A page that records JavaScript errors and dialogs (an injected script would open one)."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    return page, problems


class ConsoleView:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.connection = page.locator("#console-connection")
        self.queue = page.locator("#queue-list > li")
        self.mine = page.locator("#mine-list > li")
        self.transcript = page.locator("#transcript > li")
        self.customer_lines = page.locator("#transcript > li.line--customer")
        self.staff_lines = page.locator("#transcript > li.line--staff")
        self.notes = page.locator("#transcript > li.line--note")
        self.heading = page.locator("#conversation-heading")
        self.meta = page.locator("#conversation-meta")
        self.typing = page.locator("#conversation-typing")
        self.draft = page.locator("#draft")
        self.input = page.locator("#composer-input")
        self.canned = page.locator("#canned-list [role=option]")
        self.notice = page.locator("#console-notice-text")
        self.timeline = page.locator("#timeline > li")

    def wait_until_connected(self) -> None:
        expect(self.connection).to_have_attribute("data-state", "open")

    def open_first_waiting(self) -> None:
        self.queue.first.get_by_role("button").click()
        expect(self.page.get_by_role("button", name="Claim")).to_be_visible()

    def claim(self) -> None:
        self.page.get_by_role("button", name="Claim").click()
        expect(self.page.get_by_role("button", name="Resolve")).to_be_visible()

    def write(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def resolve(self, outcome: str) -> None:
        self.page.get_by_label("Outcome").select_option(label=outcome)
        self.page.get_by_role("button", name="Resolve").click()
