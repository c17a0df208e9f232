"""Privacy personas: Alice and Bob with data in every table, a support staff member, an admin; and the
reply engines the socket tests answer with."""

import pytest
from django.contrib.auth import get_user_model

from chatbot.conversations import engine
from tests.chatbot.fakes import ScriptedEngine
from tests.chatbot.privacy.factories import Persona, make_persona
from tests.chatbot.support.factories import PASSWORD, make_staff


class EchoingEngine(ScriptedEngine):
    """Answers with what the model would fill in: the e-mail address of the newest turn, and the
    shop's phone number; records every dialogue it was given."""

    def reply(self, turns, *, slots=None, on_delta=None):
        email = next((word.strip(".,") for word in turns[-1].text.split() if "@" in word), "your address")
        self.text = f"We will write to {email}, or call us on {slots['Customer Support Phone Number']}."
        return super().reply(turns, slots=slots, on_delta=on_delta)


def answer_with(monkeypatch, fake: ScriptedEngine) -> ScriptedEngine:
    monkeypatch.setattr(engine, "get_engine", lambda: fake)
    return fake


@pytest.fixture
def scripted_engine(monkeypatch) -> ScriptedEngine:
    return answer_with(monkeypatch, ScriptedEngine())


@pytest.fixture
def echoing_engine(monkeypatch) -> EchoingEngine:
    return answer_with(monkeypatch, EchoingEngine())


@pytest.fixture
def staff(db):
    """Dana, support staff with access to the admin site: may read customers, not export or erase them."""
    return make_staff("dana", first_name="Dana", is_staff=True)


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def alice(staff) -> Persona:
    return make_persona("Alice Example", staff=staff, with_account=True)


@pytest.fixture
def bob(staff) -> Persona:
    """The other customer, whose data must come through everything untouched."""
    return make_persona("Bob Other", staff=staff)
