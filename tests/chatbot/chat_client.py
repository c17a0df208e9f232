"""Driving the chat socket in tests: connect as a persona, read frames until the one you wait for."""

import uuid
from collections.abc import Callable
from typing import Any

from channels.testing import WebsocketCommunicator

from chatbot.asgi import application
from chatbot.conversations.models import Customer
from tests.conftest import customer_cookie_header

Frame = dict[str, Any]


def chat_socket(customer: Customer | None, *, origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if customer is not None:
        headers.append(customer_cookie_header(customer))
    return WebsocketCommunicator(application, "/ws/chat/", headers=headers)


async def connect(customer: Customer) -> tuple[WebsocketCommunicator, Frame]:
    """An open socket for the customer and the history frame the server sends first."""
    socket = chat_socket(customer)
    connected, _ = await socket.connect()
    assert connected
    history = await socket.receive_json_from(timeout=5)
    assert history["type"] == "history"
    return socket, history


def message_frame(text: str, client_id: str | None = None) -> Frame:
    return {"type": "message", "client_id": client_id or str(uuid.uuid4()), "text": text}


async def receive_until(
    socket: WebsocketCommunicator, done: Callable[[Frame], bool], *, timeout: float = 20
) -> list[Frame]:
    """Every frame up to and including the first one for which `done` is true."""
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if done(frame):
            return frames


def is_bot_message(frame: Frame) -> bool:
    return frame["type"] == "message" and frame["message"]["sender"] == "bot"


def is_typing_off(frame: Frame) -> bool:
    return frame["type"] == "typing" and frame["sender"] == "bot" and frame["is_typing"] is False
