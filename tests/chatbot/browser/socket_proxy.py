"""Between the page and the real server: Playwright's WebSocket routing, to lose a connection at a
chosen moment the way a flaky mobile network does. Frames pass through unchanged unless a test's
hook says otherwise; the server behind it is the real one.
"""

import json
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, WebSocketRoute

Frame = dict[str, Any]


class ProxiedConnection:
    def __init__(self, proxy: "SocketProxy", page_side: WebSocketRoute) -> None:
        self.proxy = proxy
        self.index = len(proxy.connections)
        self.page_side = page_side
        self.server_side = page_side.connect_to_server()
        self.closed = False
        page_side.on_message(self._from_page)
        self.server_side.on_message(self._from_server)

    def drop(self) -> None:
        """The network dies: the page sees its socket close, the server loses the client."""
        if self.closed:
            return
        self.closed = True
        self.page_side.close(code=1001, reason="network lost")
        self.server_side.close()

    def send_to_server(self, frame: Frame) -> None:
        self.server_side.send(json.dumps(frame))

    def send_to_page(self, frame: Frame) -> None:
        self.page_side.send(json.dumps(frame))

    def _from_page(self, message: str | bytes) -> None:
        frame = json.loads(message)
        self.proxy.client_frames.append(frame)
        if not self.closed and self.proxy.on_client(frame, self) is not False:
            self.server_side.send(message)

    def _from_server(self, message: str | bytes) -> None:
        frame = json.loads(message)
        if not self.closed and self.proxy.on_server(frame, self) is not False:
            self.page_side.send(message)


def _pass(frame: Frame, connection: ProxiedConnection) -> bool:
    return True


class SocketProxy:
    """Routes the page's chat socket (or, with `path`, another of its sockets) through hooks: return False
    from a hook to swallow the frame."""

    def __init__(
        self,
        page: Page,
        *,
        on_client: Callable[[Frame, ProxiedConnection], bool | None] = _pass,
        on_server: Callable[[Frame, ProxiedConnection], bool | None] = _pass,
        path: str = "/ws/chat/",
    ) -> None:
        self.on_client = on_client
        self.on_server = on_server
        self.connections: list[ProxiedConnection] = []
        self.client_frames: list[Frame] = []
        page.route_web_socket(
            f"**{path}", lambda page_side: self.connections.append(ProxiedConnection(self, page_side))
        )

    def sent_messages(self) -> list[Frame]:
        return [frame for frame in self.client_frames if frame["type"] == "message"]
