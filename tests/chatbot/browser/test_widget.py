"""The embeddable widget on a fake company page whose global CSS is deliberately hostile."""

import pytest
from playwright.sync_api import Page, expect

from tests.chatbot.browser.chat_page import ChatView
from tests.chatbot.browser.conftest import DESKTOP, PHONE, save_screenshot

pytestmark = pytest.mark.browser

DESKTOP_WIDTH = DESKTOP["width"]
DEMO_COLOUR = "rgb(47, 107, 58)"  # data-colour="#2f6b3a" in templates/chat/widget_demo.html


def open_demo(page: Page, base_url: str):
    page.goto(f"{base_url}/widget/demo/")
    launcher = page.get_by_role("button", name="Chat with")
    expect(launcher).to_be_visible()
    return launcher


def widget_styles(page: Page) -> dict:
    return page.evaluate(
        """() => {
          const root = document.querySelector("chatbot-widget").shadowRoot;
          const launcher = getComputedStyle(root.querySelector(".launcher"));
          const icon = getComputedStyle(root.querySelector(".launcher svg"));
          const panel = root.querySelector(".panel");
          const iframe = root.querySelector("iframe");
          return {
            launcherBackground: launcher.backgroundColor,
            launcherFont: launcher.fontFamily,
            launcherBorder: launcher.borderTopStyle,
            launcherTransform: launcher.transform,
            iconDisplay: icon.display,
            panelDisplay: getComputedStyle(panel).display,
            iframeBorder: iframe ? getComputedStyle(iframe).borderTopWidth : null,
            iframeFilter: iframe ? getComputedStyle(iframe).filter : null,
            iframeWidth: iframe ? iframe.getBoundingClientRect().width : null,
          };
        }"""
    )


def test_the_widget_opens_from_the_company_page_and_chats(page, live_server_url):
    launcher = open_demo(page, live_server_url)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("dialog", name="Chat with")).to_be_visible()

    chat = ChatView(page.frame_locator("chatbot-widget iframe"))
    chat.wait_until_connected()
    expect(chat.input).to_be_focused()  # opening the panel puts the cursor in the message field
    chat.send("Do you ship to Canada?")
    chat.expect_exchange(customer=["Do you ship to Canada?"], replies=1)
    save_screenshot(page, "widget-open-desktop")

    chat.input.press("Escape")  # inside the iframe: the panel closes and focus returns to the launcher
    expect(page.get_by_role("dialog", name="Chat with")).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()

    page.keyboard.press("Enter")  # the launcher reopens it, with the conversation still there
    chat.expect_exchange(customer=["Do you ship to Canada?"], replies=1)


def test_the_company_css_does_not_reach_the_widget(page, live_server_url):
    launcher = open_demo(page, live_server_url)
    closed = widget_styles(page)
    assert closed["launcherBackground"] == DEMO_COLOUR
    assert "Comic" not in closed["launcherFont"]
    assert closed["launcherBorder"] == "none" and closed["launcherTransform"] == "none"
    assert closed["iconDisplay"] == "block"
    assert closed["panelDisplay"] == "none", "the page's [hidden] rule must not open the panel"
    assert closed["iframeBorder"] is None, "the chat is not loaded before the visitor opens it"

    launcher.click()
    opened = widget_styles(page)
    assert opened["panelDisplay"] == "flex"
    assert (opened["iframeBorder"], opened["iframeFilter"]) == ("0px", "none")
    assert opened["iframeWidth"] >= 360


def test_the_widget_fills_a_phone_screen(page, live_server_url):
    page.set_viewport_size(PHONE)
    launcher = open_demo(page, live_server_url)
    save_screenshot(page, "widget-closed-phone")
    launcher.click()
    chat = ChatView(page.frame_locator("chatbot-widget iframe"))
    chat.wait_until_connected()
    frame_box = page.locator("chatbot-widget iframe").bounding_box()
    assert frame_box["width"] == PHONE["width"]
    close = page.get_by_role("button", name="Close chat")
    expect(close).to_be_visible()
    save_screenshot(page, "widget-open-phone")
    close.click()
    expect(launcher).to_be_visible()
    expect(launcher).to_be_focused()


def host_page_with(page: Page, base_url: str, snippets: list[str]) -> list[str]:
    """A blank company page on the server's origin holding these snippets; returns console messages."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{base_url}/healthz")
    page.set_content(f"<!doctype html><html><body><h1>Our shop</h1>{''.join(snippets)}</body></html>")
    return console


def snippet(base_url: str, **data: str) -> str:
    attributes = " ".join(f'data-{name}="{value}"' for name, value in data.items())
    return f'<script src="{base_url}/static/widget/widget.js" {attributes}></script>'


def test_the_documented_options_place_name_and_colour_the_widget(page, live_server_url):
    host_page_with(
        page,
        live_server_url,
        [
            snippet(
                live_server_url,
                **{
                    "chatbot-host": live_server_url,
                    "position": "bottom-left",
                    "title": "Ask us",
                    "colour": "#fde047",
                },
            ),
            snippet(live_server_url, **{"chatbot-host": live_server_url}),  # pasted twice: still one widget
        ],
    )
    launcher = page.get_by_role("button", name="Ask us")
    expect(launcher).to_be_visible()
    assert page.locator("chatbot-widget").count() == 1
    box = launcher.bounding_box()
    assert box["x"] < DESKTOP_WIDTH / 2, "data-position=bottom-left"
    colours = launcher.evaluate(
        "(button) => [getComputedStyle(button).backgroundColor, getComputedStyle(button).color]"
    )
    assert colours == ["rgb(253, 224, 71)", "rgb(17, 24, 39)"], "a light colour gets a dark icon"

    page.evaluate("window.ChatbotWidget.open()")
    expect(page.get_by_role("dialog", name="Ask us")).to_be_visible()
    expect(page.frame_locator("chatbot-widget iframe").get_by_label("Your message")).to_be_visible()


def test_invalid_options_fall_back_or_refuse_with_a_console_message(page, live_server_url):
    console = host_page_with(
        page, live_server_url, [snippet(live_server_url, colour="url(javascript:alert(1))")]
    )
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_visible()
    assert launcher.evaluate("(button) => getComputedStyle(button).backgroundColor") == "rgb(29, 78, 216)"
    assert any("is not a CSS colour" in message for message in console)

    console = host_page_with(
        page, live_server_url, [snippet(live_server_url, **{"chatbot-host": "javascript:alert(1)"})]
    )
    expect(page.get_by_role("heading", name="Our shop")).to_be_visible()
    assert page.locator("chatbot-widget").count() == 0
    assert any("data-chatbot-host must be an http(s) URL" in message for message in console)
