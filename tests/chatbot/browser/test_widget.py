"""The embeddable widget on a fake company page whose global CSS is deliberately hostile."""

import pytest
from playwright.sync_api import Page, expect

from tests.chatbot.browser.chat_page import ChatView
from tests.chatbot.browser.conftest import PHONE, save_screenshot

pytestmark = pytest.mark.browser

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
