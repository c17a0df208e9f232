"""Driving the staff socket next to the customer's in tests."""

from typing import Any

from channels.testing import WebsocketCommunicator

from tests.chatbot.chat_client import Frame, receive_until
from tests.chatbot.support.factories import staff_socket


async def connect_staff(user: Any) -> tuple[WebsocketCommunicator, Frame]:
    """An open console socket and its first frame, the `console` snapshot."""
    socket = await staff_socket(user)
    connected, _ = await socket.connect()
    assert connected
    console = await socket.receive_json_from(timeout=5)
    assert console["type"] == "console", console
    return socket, console


def of_type(frame_type: str, **fields: Any):
    """A predicate for receive_until: a frame of this type whose fields have these values."""

    def matches(frame: Frame) -> bool:
        return frame["type"] == frame_type and all(frame.get(key) == value for key, value in fields.items())

    return matches


async def next_frame(
    socket: WebsocketCommunicator, frame_type: str, *, timeout: float = 10, **fields: Any
) -> Frame:
    """The first frame of this type (and these field values), skipping the others."""
    return (await receive_until(socket, of_type(frame_type, **fields), timeout=timeout))[-1]


async def close_all(*sockets: WebsocketCommunicator) -> None:
    for socket in sockets:
        await socket.disconnect()
