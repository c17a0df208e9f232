"""What the customer sees when the assistant cannot answer or the server cannot reach its database
(docs/resilience.md). The real server answers; the model it serves is made unusable on purpose.
"""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import WebSocketRoute, expect

from chatbot.conversations.protocol import TEMPORARILY_UNAVAILABLE_TEXT
from chatbot.conversations.replies import UNAVAILABLE_TEXT
from inference.versions import MODEL_FILE, latest_version
from tests.chatbot.browser.chat_page import open_chat
from tests.chatbot.browser.server_state import close_open_conversations

pytestmark = pytest.mark.browser

BROKEN = "broken-weights-test"


@pytest.fixture
def broken_model(chat_server, tiny_model_root: Path, tmp_path: Path) -> Iterator[None]:
    """An admin activated a model version whose weights file is cut off half-way; put right afterwards."""
    version = latest_version(tiny_model_root)
    broken = tmp_path / version.name
    shutil.copytree(version, broken)
    weights = broken / MODEL_FILE
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    models = "from chatbot.conversations.models import ModelVersion; "
    chat_server.manage(
        "shell",
        "-c",
        models + "from chatbot.conversations.services import do_register_model_version; "
        f"do_register_model_version(name={BROKEN!r}, path={str(broken)!r}, metrics={{}}, activate=True)",
    )
    yield
    # No version is active then: the server serves the newest complete directory, the good tiny model.
    chat_server.manage("shell", "-c", models + f"ModelVersion.objects.filter(name={BROKEN!r}).delete()")


@pytest.fixture
def nobody_waiting(chat_server) -> None:
    close_open_conversations(chat_server)


def test_a_broken_model_is_explained_and_a_person_is_offered_instead(
    page, live_server_url, broken_model, nobody_waiting
):
    chat = open_chat(page, live_server_url)
    chat.send("Where is my order?")

    expect(chat.notice.locator("#chat-notice-text")).to_have_text(UNAVAILABLE_TEXT)
    expect(chat.messages.filter(has_text=UNAVAILABLE_TEXT)).to_have_count(1)  # the notice in the transcript
    expect(chat.typing).not_to_have_class("chat__typing is-visible")
    offer = chat.notice.get_by_role("button", name="Talk to a person")
    expect(offer).to_be_visible()
    offer.click()

    # Nobody from staff is signed in: the customer is asked for contact details.
    expect(page.locator("#chat-banner")).to_contain_text("No one from our team is online right now")
    expect(page.get_by_label("Your e-mail address")).to_be_visible()
    expect(chat.bot_messages).to_have_count(0)


def test_a_server_without_its_database_says_so_and_is_not_retried_in_a_tight_loop(page, live_server_url):
    attempts: list[WebSocketRoute] = []

    def database_down(socket: WebSocketRoute) -> None:
        """What the chat socket does while the database is unreachable (consumers.py)."""
        attempts.append(socket)
        error = {"type": "error", "code": "temporarily_unavailable", "detail": TEMPORARILY_UNAVAILABLE_TEXT}
        socket.send(json.dumps({**error, "client_id": None}))
        socket.close(code=1013, reason="Try Again Later")

    page.route_web_socket("**/ws/chat/", database_down)
    page.clock.install()
    page.goto(f"{live_server_url}/")
    expect(page.locator("#chat-notice-text")).to_have_text(TEMPORARILY_UNAVAILABLE_TEXT)

    for _ in range(60):  # a minute of the page's time, a second at a time
        page.clock.run_for(1000)
        page.wait_for_timeout(20)  # real time for the socket events of that second
    # Backoff from 0.25-0.5 s doubling to 7.5-15 s: at most 12 attempts in a minute. An error frame that
    # reset the backoff would have the page retry every 0.25-0.5 s: more than a hundred.
    assert 4 <= len(attempts) <= 12, len(attempts)
