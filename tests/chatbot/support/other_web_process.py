"""A second web process for the distributed test: it serves one customer's socket with its own ASGI
application and its own Redis channel layer (REDIS_URL), as another daphne process would.

Run as `python -m tests.chatbot.support.other_web_process` with CUSTOMER_COOKIE set. It sends the
frames it reads on stdin (one JSON object a line) and prints every frame it receives (one a line);
closing stdin ends it.
"""

import asyncio
import json
import os
import sys

import django

django.setup()

from channels.testing import WebsocketCommunicator  # noqa: E402

from chatbot.asgi import application  # noqa: E402


def emit(frame: dict) -> None:
    print(json.dumps(frame), flush=True)


async def main() -> None:
    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", os.environ["CUSTOMER_COOKIE"].encode()),
    ]
    socket = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await socket.connect()
    emit({"type": "process_ready", "connected": connected, "pid": os.getpid()})
    loop = asyncio.get_running_loop()

    async def print_frames() -> None:
        while True:
            try:
                frame = await socket.receive_json_from(timeout=3600)
            except Exception as error:  # the consumer failed: say so instead of falling silent
                emit({"type": "process_error", "error": repr(error)})
                raise
            emit(frame)

    printer = asyncio.create_task(print_frames())
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        await socket.send_json_to(json.loads(line))
    printer.cancel()
    await socket.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
