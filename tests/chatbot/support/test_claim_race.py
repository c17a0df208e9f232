"""Two staff members claim the same conversation at the same moment, each in their own thread and
database connection: exactly one owns it, the other is told who does. Runs on SQLite and, in the
suite's second pass, on PostgreSQL (scripts/test.sh), where the UPDATE really waits on the row lock."""

import threading

import pytest
from django.db import connection

from chatbot.conversations.models import Conversation
from chatbot.conversations.protocol import ProtocolError
from chatbot.support import services
from chatbot.support.models import Escalation, SupportEvent
from tests.chatbot.support.factories import make_escalation

pytestmark = pytest.mark.django_db(transaction=True)


def claim_at_once(conversation: Conversation, users: list, *, before_commit=None) -> dict:
    """Each user claims in their own thread, all released together; returns user -> "won" or the error."""
    start = threading.Barrier(len(users))
    results: dict = {}

    def claim(user) -> None:
        try:
            start.wait(timeout=10)
            services.do_claim(user=user, conversation=conversation)
            results[user.username] = "won"
        except ProtocolError as error:
            results[user.username] = (error.code, error.detail)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=claim, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def quiet(monkeypatch):
    """No channel layer or model work from threads: only the database race is under test."""
    monkeypatch.setattr("chatbot.support.notify.on_commit", lambda *args, **kwargs: None)
    monkeypatch.setattr("chatbot.conversations.events.send_to_group_on_commit", lambda *args: None)


@pytest.mark.parametrize("attempt", range(5))
def test_of_two_simultaneous_claims_exactly_one_wins(customer, staff, other_staff, quiet, attempt):
    conversation = make_escalation(customer).conversation
    results = claim_at_once(conversation, [staff, other_staff])

    winners = [name for name, result in results.items() if result == "won"]
    assert len(winners) == 1, results
    [loser] = [result for result in results.values() if result != "won"]
    winner = {"dana": "Dana Scully", "sam": "Sam Tyler"}[winners[0]]
    assert loser == ("already_claimed", f"Already claimed by {winner}.")
    escalation = Escalation.objects.get()
    assert escalation.assignee.username == winners[0]
    assert SupportEvent.objects.filter(kind="claimed").count() == 1
    assert Conversation.objects.get().status == "with_staff"


def test_a_claim_waits_for_a_slower_rival_and_then_names_it(customer, staff, other_staff, quiet, monkeypatch):
    """The first claim holds its transaction open a while after its UPDATE; the second claim's UPDATE
    must wait for it (PostgreSQL row lock, SQLite write lock) and then find the conversation taken."""
    conversation = make_escalation(customer).conversation
    first_updated = threading.Event()
    original_record = services._record

    def slow_record(escalation, kind, **fields):
        if kind == SupportEvent.Kind.CLAIMED and fields.get("actor") == staff:
            first_updated.set()
            threading.Event().wait(0.5)  # keep the winning transaction open
        return original_record(escalation, kind, **fields)

    monkeypatch.setattr(services, "_record", slow_record)
    results: dict = {}

    def claim(user, wait_for=None) -> None:
        try:
            if wait_for is not None:
                wait_for.wait(timeout=10)
            services.do_claim(user=user, conversation=conversation)
            results[user.username] = "won"
        except ProtocolError as error:
            results[user.username] = error.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(staff,)),
        threading.Thread(target=claim, args=(other_staff, first_updated)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == {"dana": "won", "sam": "already_claimed"}
