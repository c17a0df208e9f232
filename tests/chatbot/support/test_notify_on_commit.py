"""notify.on_commit: a failing announcement is logged and skips nothing queued after it."""

import pytest
from django.db import transaction

from chatbot.support import notify


@pytest.mark.django_db(transaction=True)
def test_a_failing_announcement_is_logged_and_the_callbacks_after_it_still_run(caplog):
    ran = []

    def broken_announcement(conversation_id: int) -> None:
        raise ConnectionError("Connection closed by server.")

    with transaction.atomic():
        notify.on_commit(broken_announcement, 42)
        transaction.on_commit(lambda: ran.append("dispatch"))

    assert ran == ["dispatch"]
    assert "Connection closed by server." in caplog.text
