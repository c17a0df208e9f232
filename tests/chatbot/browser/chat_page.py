"""The chat as a test sees it: the same parts whether it is the full page or the widget's iframe."""

from playwright.sync_api import FrameLocator, Locator, Page, expect

# Records, from inside the page, every text the streamed reply bubble shows and whether the typing
# indicator appeared, so nothing that happens between two polls of the test is missed.
_RECORD_REPLY = """(preview) => {
  window.streamObservations = [];
  window.typingShown = false;
  new MutationObserver(() => {
    const bubble = preview.querySelector(".message__text");
    if (bubble) window.streamObservations.push(bubble.textContent);
  }).observe(preview, { childList: true, subtree: true, characterData: true });
  const typing = document.getElementById("chat-typing");
  new MutationObserver(() => {
    if (typing.classList.contains("is-visible")) window.typingShown = true;
  }).observe(typing, { attributes: true });
}"""


def open_chat(page: Page, base_url: str) -> "ChatView":
    """The chat page, loaded and connected."""
    page.goto(f"{base_url}/")
    chat = ChatView(page)
    chat.wait_until_connected()
    return chat


class ChatView:
    def __init__(self, root: Page | FrameLocator) -> None:
        self.root = root
        self.input = root.get_by_label("Your message")
        self.send_button = root.get_by_role("button", name="Send message")
        self.log = root.locator("#chat-log")
        self.messages = root.locator("#chat-log > li")
        self.customer_messages = root.locator("#chat-log > li.message--customer")
        self.bot_messages = root.locator("#chat-log > li.message--bot")
        self.preview = root.locator("#chat-preview")
        self.typing = root.locator("#chat-typing")
        self.notice = root.locator("#chat-notice")
        self.connection = root.locator("#chat-connection")
        self.counter = root.locator("#chat-counter")

    def wait_until_connected(self) -> None:
        expect(self.connection).to_have_attribute("data-state", "open")

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def record_reply(self) -> None:
        self.preview.evaluate(_RECORD_REPLY)

    def typing_was_shown(self) -> bool:
        return self.preview.evaluate("() => window.typingShown")

    def record_connection_states(self) -> None:
        """From now on, keep every state the status line shows (a reconnect wait can be 250 ms)."""
        self.connection.evaluate(
            """(line) => {
              window.connectionStates = [line.dataset.state];
              new MutationObserver(() => window.connectionStates.push(line.dataset.state))
                .observe(line, { attributes: true, attributeFilter: ["data-state"] });
            }"""
        )

    def connection_states(self) -> list[str]:
        return self.connection.evaluate("() => window.connectionStates")

    def stream_observations(self) -> list[str]:
        """The distinct texts the streaming bubble showed, in order."""
        seen: list[str] = self.preview.evaluate("() => window.streamObservations")
        return [text for index, text in enumerate(seen) if index == 0 or text != seen[index - 1]]

    def texts(self, messages: Locator) -> list[str]:
        return messages.locator(".message__text").all_text_contents()

    def message_ids(self) -> list[str]:
        return self.messages.evaluate_all("(items) => items.map((item) => item.dataset.messageId)")

    def expect_exchange(self, *, customer: list[str], replies: int) -> None:
        """Exactly these customer messages, confirmed, and exactly `replies` bot replies, none twice."""
        expect(self.customer_messages).to_have_count(len(customer))
        expect(self.bot_messages).to_have_count(replies)
        expect(self.customer_messages.locator(".message__text")).to_have_text(customer)
        for index in range(len(customer)):
            expect(self.customer_messages.nth(index)).to_have_attribute("data-state", "sent")
        ids = self.message_ids()
        assert len(ids) == len(set(ids)), f"a message is shown twice: {ids}"
