"""WCAG 2.2 A/AA and best-practice checks (axe-core, bundled offline) on every state of the chat:
a reply, a refused message, the notice and the counter, in light and dark colour schemes."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.chatbot.browser.chat_page import ChatView
from tests.chatbot.browser.conftest import DESKTOP
from tests.chatbot.browser.socket_proxy import Frame, ProxiedConnection, SocketProxy

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    }
}


def assert_accessible(page: Page, context: str | None = None) -> None:
    results = Axe().run(page, context=context, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture(params=["light", "dark"])
def scheme_page(request, browser: Browser) -> Page:
    context = browser.new_context(viewport=DESKTOP, color_scheme=request.param)
    yield context.new_page()
    context.close()


def test_the_chat_page_in_every_state_passes_axe(scheme_page, live_server_url):
    page = scheme_page

    def refuse_the_second_message(frame: Frame, connection: ProxiedConnection) -> bool:
        if frame["type"] == "message" and len(proxy.sent_messages()) == 2:
            connection.send_to_server({**frame, "text": "x" * 2100})
            return False
        return True

    proxy = SocketProxy(page, on_client=refuse_the_second_message)
    page.goto(f"{live_server_url}/")
    chat = ChatView(page)
    chat.wait_until_connected()
    assert_accessible(page)  # the empty conversation

    chat.send("Where is my parcel?")
    expect(chat.bot_messages).to_have_count(1)
    chat.send("This one is refused.")
    expect(chat.customer_messages.last).to_have_attribute("data-state", "failed")
    expect(chat.notice).to_have_class("chat__notice is-visible")
    chat.input.fill("a" * 1900)
    expect(chat.counter).to_be_visible()
    assert_accessible(page)


def test_the_widget_and_its_chat_pass_axe(scheme_page, live_server_url):
    page = scheme_page
    page.goto(f"{live_server_url}/widget/demo/")
    page.get_by_role("button", name="Chat with").click()
    ChatView(page.frame_locator("chatbot-widget iframe")).wait_until_connected()
    # Only the widget: the fake company page around it is deliberately badly styled.
    assert_accessible(page, context="chatbot-widget")

    page.goto(f"{live_server_url}/embed/")
    ChatView(page).wait_until_connected()
    assert_accessible(page)
