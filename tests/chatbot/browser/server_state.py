"""The shared browser-test server's state: conversations other tests left open, staff accounts."""

from tests.chatbot.browser.conftest import ChatServer
from tests.chatbot.browser.console_page import STAFF_PASSWORD


def close_open_conversations(chat_server: ChatServer) -> None:
    """Every conversation closed: the staff queue starts empty and no earlier hand-over is in the way."""
    chat_server.manage(
        "shell",
        "-c",
        "from chatbot.conversations.models import Conversation; "
        "Conversation.objects.exclude(status='closed').update(status='closed')",
    )


def add_staff_member(chat_server: ChatServer, username: str, *, first_name: str) -> str:
    """A console user made with the documented command (password STAFF_PASSWORD); returns the name."""
    options = ["--first-name", first_name, "--password-env", "STAFF_PASSWORD"]
    chat_server.manage("create_staff_user", username, *options, extra_env={"STAFF_PASSWORD": STAFF_PASSWORD})
    return username
