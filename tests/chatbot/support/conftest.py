"""Support personas: two staff members, an admin, and a user with admin access but not in the group."""

import pytest
from django.contrib.auth import get_user_model

from tests.chatbot.fakes import ScriptedEngine
from tests.chatbot.support.factories import PASSWORD, make_staff


@pytest.fixture(autouse=True)
def scripted_engine(monkeypatch) -> ScriptedEngine:
    """Bot replies and staff drafts come from the scripted engine unless a test loads the real model."""
    from chatbot.conversations import engine

    fake = ScriptedEngine()
    monkeypatch.setattr(engine, "get_engine", lambda: fake)
    return fake


@pytest.fixture
def staff(db):
    """Dana, on duty."""
    return make_staff("dana", first_name="Dana", last_name="Scully", email="dana@example.com")


@pytest.fixture
def other_staff(db):
    """Sam, a colleague: transfers go to him, and he races Dana for claims."""
    return make_staff("sam", first_name="Sam", last_name="Tyler")


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD, first_name="Ada")


@pytest.fixture
def outsider(db):
    """Signed in and allowed into the admin site, but not in the "Support staff" group."""
    return get_user_model().objects.create_user("olga", password=PASSWORD, is_staff=True, first_name="Olga")


@pytest.fixture
def sent_events(monkeypatch) -> list[tuple[str, dict]]:
    """Every channel-layer event, instead of sending it: (group, event)."""
    from chatbot.conversations import events

    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "send_to_group", lambda group, event: sent.append((group, event)))
    return sent


@pytest.fixture
def model_work(monkeypatch) -> list[tuple[str, int]]:
    """Model work started instead of running it: ("reply" | "draft", message id)."""
    from chatbot.conversations import services as conversation_services
    from chatbot.support import receivers

    started: list[tuple[str, int]] = []
    monkeypatch.setattr(
        conversation_services, "dispatch_reply", lambda *, message_id: started.append(("reply", message_id))
    )
    draft = lambda *, message_id: started.append(("draft", message_id))  # noqa: E731
    monkeypatch.setattr(receivers, "dispatch_suggestion", draft)
    monkeypatch.setattr("chatbot.support.suggestions.dispatch_suggestion", draft)
    return started
