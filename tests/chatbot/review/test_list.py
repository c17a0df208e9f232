"""The review list: every filter, the text search, sorting, paging, and a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chatbot.conversations.models import Conversation, Message
from chatbot.support.models import Escalation, SupportSettings
from tests.chatbot.review.factories import (
    escalate,
    exchange,
    make_conversation,
    make_support_staff,
    rate,
    say,
)

LIST_URL = reverse("admin:conversations_conversation_changelist")


def listed(client, **params) -> set[int]:
    response = client.get(LIST_URL, params)
    assert response.status_code == 200, response.content[:500]
    return {conversation.pk for conversation in response.context["cl"].result_list}


def test_it_lists_conversations_newest_first_with_their_columns(reviewer_client):
    older = make_conversation(started=timezone.now() - datetime.timedelta(days=2))
    newer = make_conversation()
    exchange(newer, "where is my parcel", "It is on its way.", confidence=0.05, feedback=Message.Vote.DOWN)
    escalate(newer, reason=Escalation.Reason.LOW_CONFIDENCE)
    rate(newer, 2)

    response = reviewer_client.get(LIST_URL)

    assert [c.pk for c in response.context["cl"].result_list] == [newer.pk, older.pk]
    page = response.text
    assert str(newer.public_id)[:8] in page
    assert "Bot unsure" in page  # the escalation reason
    assert "2/5" in page
    assert "0.05 (unsure)" in page
    assert "0 helpful, 1 not" in page


def test_it_filters_by_the_day_started(reviewer_client):
    now = timezone.now()
    old = make_conversation(started=now - datetime.timedelta(days=10))
    recent = make_conversation(started=now - datetime.timedelta(days=1))
    today = timezone.localdate()

    assert listed(reviewer_client, started_from=str(today - datetime.timedelta(days=2))) == {recent.pk}
    assert listed(reviewer_client, started_to=str(today - datetime.timedelta(days=5))) == {old.pk}
    both = {"started_from": str(today - datetime.timedelta(days=10)), "started_to": str(today)}
    assert listed(reviewer_client, **both) == {old.pk, recent.pk}


def test_a_bad_date_is_explained_and_filters_nothing(reviewer_client):
    conversation = make_conversation()
    response = reviewer_client.get(LIST_URL, {"started_from": "31/01/2025"})
    assert {c.pk for c in response.context["cl"].result_list} == {conversation.pk}
    assert "“31/01/2025” is not a date like 2025-01-31" in response.text

    backwards = reviewer_client.get(LIST_URL, {"started_from": "2025-02-01", "started_to": "2025-01-01"})
    assert "The first day is after the last day" in backwards.text


def test_it_filters_by_status(reviewer_client):
    waiting = make_conversation(status=Conversation.Status.WAITING_FOR_STAFF)
    make_conversation(status=Conversation.Status.CLOSED)
    assert listed(reviewer_client, status__exact="waiting_for_staff") == {waiting.pk}


def test_it_filters_by_escalation_and_its_reason(reviewer_client):
    complaint, button, calm = make_conversation(), make_conversation(), make_conversation()
    escalate(complaint, reason=Escalation.Reason.COMPLAINT)
    escalate(button, reason=Escalation.Reason.CUSTOMER_BUTTON)

    assert listed(reviewer_client, escalation="yes") == {complaint.pk, button.pk}
    assert listed(reviewer_client, escalation="no") == {calm.pk}
    assert listed(reviewer_client, escalation="complaint") == {complaint.pk}
    # A value the filter never offered filters nothing instead of failing.
    assert listed(reviewer_client, escalation="nonsense") == {complaint.pk, button.pk, calm.pk}


def test_it_filters_by_bot_intent_and_model_version(reviewer_client):
    tracking, refund = make_conversation(), make_conversation()
    exchange(tracking, "where is it", "On its way.", intent="track_order", model_version="v-old")
    exchange(refund, "money back", "Refund started.", intent="get_refund", model_version="v-new")

    response = reviewer_client.get(LIST_URL)
    assert "get_refund" in response.text and "v-new" in response.text  # offered as choices
    assert listed(reviewer_client, intent="get_refund") == {refund.pk}
    assert listed(reviewer_client, model_version="v-old") == {tracking.pk}


def test_it_filters_by_csat(reviewer_client):
    happy, unhappy, unrated = make_conversation(), make_conversation(), make_conversation()
    rate(happy, 5)
    rate(unhappy, 1)
    assert listed(reviewer_client, csat="1") == {unhappy.pk}
    assert listed(reviewer_client, csat="none") == {unrated.pk}


def test_the_low_confidence_filter_follows_the_support_threshold(reviewer_client, settings):
    settings.CHATBOT_LOW_CONFIDENCE_THRESHOLD = 0.2
    unsure, middling, sure = make_conversation(), make_conversation(), make_conversation()
    exchange(unsure, "hm", "Maybe.", confidence=0.1)
    exchange(middling, "hm", "Perhaps.", confidence=0.3)
    exchange(sure, "hm", "Yes.", confidence=0.9)

    assert listed(reviewer_client, low_confidence="yes") == {unsure.pk}
    # An admin's override in the support settings applies at once.
    SupportSettings.objects.create(pk=1, low_confidence_threshold=0.5)
    assert listed(reviewer_client, low_confidence="yes") == {unsure.pk, middling.pk}


def test_it_filters_by_staff_member_assigned_or_writing(reviewer_client):
    dana, sam = make_support_staff("dana"), make_support_staff("sam")
    assigned, wrote, neither = make_conversation(), make_conversation(), make_conversation()
    escalate(assigned, assignee=dana)
    say(wrote, "Hello, Dana here.", sender=Message.Sender.STAFF, author=dana)
    escalate(neither, assignee=sam)

    assert listed(reviewer_client, staff=str(dana.pk)) == {assigned.pk, wrote.pk}


def test_it_filters_by_customer_vote(reviewer_client):
    liked, disliked, unvoted = make_conversation(), make_conversation(), make_conversation()
    exchange(liked, "q", "a", feedback=Message.Vote.UP)
    exchange(disliked, "q", "a", feedback=Message.Vote.DOWN)
    exchange(unvoted, "q", "a")

    assert listed(reviewer_client, vote="up") == {liked.pk}
    assert listed(reviewer_client, vote="down") == {disliked.pk}
    assert listed(reviewer_client, vote="none") == {unvoted.pk}


def test_it_filters_by_review_state(reviewer_client, reviewer):
    from chatbot.review.models import Annotation

    good, bad, corrected, unreviewed = (make_conversation() for _ in range(4))
    for conversation in (good, bad, corrected, unreviewed):
        exchange(conversation, "q", "a")

    def review(conversation, **fields):
        reply = conversation.messages.get(sender="bot")
        Annotation.objects.create(message=reply, reviewer=reviewer, **fields)

    review(good, verdict="good")
    review(bad, verdict="bad", bad_tone=True)
    review(corrected, verdict="bad", wrong_facts=True, corrected_reply="Better.")

    assert listed(reviewer_client, review="bad") == {bad.pk, corrected.pk}
    assert listed(reviewer_client, review="corrected") == {corrected.pk}
    assert listed(reviewer_client, review="good") == {good.pk}
    assert listed(reviewer_client, review="none") == {unreviewed.pk}


def test_filters_combine(reviewer_client):
    wanted, wrong_intent, not_escalated = make_conversation(), make_conversation(), make_conversation()
    exchange(wanted, "q", "a", intent="complaint")
    exchange(wrong_intent, "q", "a", intent="greeting")
    exchange(not_escalated, "q", "a", intent="complaint")
    escalate(wanted)
    escalate(wrong_intent)
    assert listed(reviewer_client, intent="complaint", escalation="yes") == {wanted.pk}


def test_it_searches_message_text(reviewer_client):
    refund, parcel = make_conversation(), make_conversation()
    exchange(refund, "I want my refund for the broken tent", "I have started your refund.")
    exchange(parcel, "Where is my parcel?", "On its way.")

    assert listed(reviewer_client, q="broken tent") == {refund.pk}
    assert listed(reviewer_client, q="PARCEL") == {parcel.pk}
    assert listed(reviewer_client, q="kayak") == set()


def test_the_search_understands_word_forms_and_phrases_on_postgresql(reviewer_client):
    if connection.vendor != "postgresql":
        pytest.skip("full-text search is PostgreSQL's; SQLite's fallback matches the text as typed")
    refunds, tent = make_conversation(), make_conversation()
    exchange(refunds, "Are refunds possible after 30 days?", "Yes, within 60 days.")
    exchange(tent, "the tent is broken", "Sorry to hear that.")

    assert listed(reviewer_client, q="refund") == {refunds.pk}  # "refunds" stems to "refund"
    assert listed(reviewer_client, q='"tent is broken"') == {tent.pk}
    assert listed(reviewer_client, q="refund or tent") == {refunds.pk, tent.pk}
    assert listed(reviewer_client, q="broken -tent") == set()


def test_it_sorts_by_message_count_and_pages(reviewer_client):
    long, short = make_conversation(), make_conversation()  # newest first would put short first
    exchange(short, "q", "a")
    for _ in range(3):
        exchange(long, "q", "a")

    response = reviewer_client.get(LIST_URL, {"o": "5"})  # the fifth column: messages, ascending
    assert [c.pk for c in response.context["cl"].result_list] == [short.pk, long.pk]
    response = reviewer_client.get(LIST_URL, {"o": "-5"})
    assert [c.pk for c in response.context["cl"].result_list] == [long.pk, short.pk]
    response = reviewer_client.get(LIST_URL)
    assert [c.pk for c in response.context["cl"].result_list] == [short.pk, long.pk]

    for _ in range(51):
        make_conversation()
    first, second = reviewer_client.get(LIST_URL), reviewer_client.get(LIST_URL, {"p": "2"})
    assert len(first.context["cl"].result_list) == 50
    assert len(second.context["cl"].result_list) == 3


def _conversations_with_everything(count: int, staff) -> None:
    for number in range(count):
        conversation = make_conversation()
        exchange(conversation, f"question {number}", "answer", confidence=0.1, feedback=Message.Vote.UP)
        escalate(conversation, assignee=staff)
        rate(conversation, 3)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"escalation": "yes", "low_confidence": "yes", "vote": "up", "started_from": "2000-01-01"},
        {"q": "question", "csat": "3", "review": "none", "intent": "track_order"},
    ],
    ids=["unfiltered", "filtered", "searched"],
)
def test_the_list_costs_the_same_queries_for_2_and_20_conversations(
    reviewer_client, django_assert_num_queries, params
):
    staff = make_support_staff("sam")
    _conversations_with_everything(2, staff)
    with CaptureQueriesContext(connection) as two:
        response = reviewer_client.get(LIST_URL, params)
    assert len(response.context["cl"].result_list) == 2

    _conversations_with_everything(18, staff)
    with django_assert_num_queries(len(two.captured_queries)):
        response = reviewer_client.get(LIST_URL, params)
    assert len(response.context["cl"].result_list) == 20


def test_the_filter_choices_are_the_distinct_values_sorted(db):
    from chatbot.conversations.models import ModelVersion
    from chatbot.review import selectors

    conversation = make_conversation()
    for intent, version in [("b_intent", "v2"), ("a_intent", "v1"), ("b_intent", "v2"), ("c_intent", "v1")]:
        exchange(conversation, "q", "a", intent=intent, model_version=version)
    say(conversation, "a customer message has no intent")
    ModelVersion.objects.create(name="v3", path="v3")

    assert selectors.bot_intents() == ["a_intent", "b_intent", "c_intent"]
    assert selectors.model_version_names() == ["v3", "v2", "v1"]
