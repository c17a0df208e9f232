"""Personas of personalization: Sam, a signed-up customer with orders; the reply engines that fill
placeholders the way serving does."""

import pytest

from chatbot.conversations import engine
from tests.chatbot.customers.factories import FillingEngine, make_known_customer
from tests.chatbot.support.factories import make_staff

TRACK_ORDER = "Your order {{Order Number}} is currently {{Order Status}}, {{Customer Name}}."


@pytest.fixture
def sam(db):
    """Sam Walker: a login, a customer linked to it, three orders (NW-48213 in transit is the newest)."""
    return make_known_customer(
        "sam",
        name="Sam Walker",
        orders=[("NW-39920", "delivered", 30), ("NW-60214", "processing", 9), ("NW-48213", "shipped", 2)],
    )


@pytest.fixture
def sam_login(sam):
    return sam.user


@pytest.fixture
def track_order_engine(filling_engine) -> FillingEngine:
    """Answers like the shop data's track_order replies, filled as serving fills them."""
    return filling_engine(TRACK_ORDER)


@pytest.fixture
def filling_engine(monkeypatch):
    """Makes the reply engine a FillingEngine writing the given text: `filling_engine("{{Order Number}}")`."""

    def answer_with(raw: str) -> FillingEngine:
        fake = FillingEngine(raw=raw)
        monkeypatch.setattr(engine, "get_engine", lambda: fake)
        return fake

    return answer_with


@pytest.fixture
def answering_engine(filling_engine) -> FillingEngine:
    """Any reply will do: "Thanks for asking." (the tests that use it look at other frames)."""
    return filling_engine("Thanks for asking.")


@pytest.fixture
def staff(db):
    """Dana, with admin access: whose name the privacy services write in their audit entries."""
    return make_staff("dana", is_staff=True)
