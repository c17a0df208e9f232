"""Privacy personas: Alice and Bob with data in every table, a support staff member, an admin; and the
reply engines the socket tests answer with."""

import pytest
from django.contrib.auth import get_user_model

from chatbot.conversations import engine
from inference.placeholders import extract_entities, fill_placeholders, normalise_slots
from tests.chatbot.fakes import ScriptedEngine
from tests.chatbot.privacy.factories import Persona, make_persona
from tests.chatbot.support.factories import PASSWORD, make_staff


class EchoingEngine(ScriptedEngine):
    """Writes a reply with the customer's e-mail address and the shop's phone number as placeholders,
    filled the way serving fills them (inference/serving.py: the slots given, then the entities found in
    the customer's turns); records every dialogue it was given."""

    RAW = "We will write to {{Customer Email}}, or call us on {{Customer Support Phone Number}}."

    def reply(self, turns, *, slots=None, on_delta=None):
        self.text = fill_placeholders(self.RAW, {**normalise_slots(slots), **extract_entities(turns)})
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
