"""A model file that is missing or corrupt (docs/resilience.md, "Model missing or corrupt").

A real inference worker is started on a copy of the tiny model whose weights are gone or damaged. It
logs one clear line saying it is not ready and why, its heartbeat says so, and readiness (/readyz)
fails with that reason. A customer who writes meanwhile is told the assistant is unavailable (an
`unavailable` error and a notice in the transcript, which the chat page turns into an offer of a person:
tests/chatbot/browser/test_faults_model_unavailable.py); nothing is stored as a bot reply.
"""

import shutil
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations import readiness
from chatbot.conversations.models import Message
from chatbot.conversations.replies import UNAVAILABLE_TEXT
from inference.versions import MODEL_FILE, latest_version
from tests.chatbot.chat_client import connect, is_typing_off, message_frame, receive_until

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]


def break_weights(model_file: Path, fault: str) -> None:
    if fault == "missing":
        model_file.unlink()
    else:  # cut off half-way, as a full disk or an interrupted copy leaves it
        model_file.write_bytes(model_file.read_bytes()[: model_file.stat().st_size // 2])


@pytest.fixture(params=["missing", "corrupt"])
def broken_model_root(request, tiny_model_root: Path, tmp_path: Path) -> tuple[Path, str]:
    """A model root with one version whose weights are missing or corrupt; the fault's name."""
    version = latest_version(tiny_model_root)
    root = tmp_path / "broken-models"
    shutil.copytree(version, root / version.name)
    break_weights(root / version.name / MODEL_FILE, request.param)
    return root, request.param


@database_sync_to_async
def stored_senders() -> list[str]:
    return list(Message.objects.order_by("id").values_list("sender", flat=True))


async def test_a_worker_with_a_broken_model_says_it_is_not_ready_and_the_customer_is_told(
    broken_model_root, customer, web_process, bot_only, start_worker
):
    root, fault = broken_model_root
    worker = start_worker(CHATBOT_MODEL_DIR=str(root))
    worker.wait_for_log("is not ready: the model failed to load", timeout=60)
    [line] = [line for line in worker.log.read_text().splitlines() if "is not ready" in line]
    assert "ERROR" in line and MODEL_FILE in line and str(root) in line, line
    if fault == "missing":
        assert "FileNotFoundError" in line, line

    report = await readiness.check_readiness(timeout=5)
    inference = report.as_dict()["checks"]["inference"]
    assert not report.ready and not inference["ok"]
    assert "no inference worker has a model loaded" in inference["detail"]
    assert "the model failed to load" in inference["detail"]

    socket, _ = await connect(customer)
    sent = message_frame("where is my order?")
    await socket.send_json_to(sent)
    frames = await receive_until(socket, is_typing_off, timeout=60)
    await socket.disconnect()

    [error] = [frame for frame in frames if frame["type"] == "error"]
    assert error == {
        "type": "error",
        "code": "unavailable",
        "detail": UNAVAILABLE_TEXT,
        "client_id": sent["client_id"],
    }
    notices = [
        frame["message"]
        for frame in frames
        if frame["type"] == "message" and frame["message"]["sender"] == "system"
    ]
    assert [notice["text"] for notice in notices] == [UNAVAILABLE_TEXT]
    assert await stored_senders() == ["customer", "system"]
