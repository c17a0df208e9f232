"""The transcript page: the conversation as a chat, with the bot's details, events and notes in place."""

import datetime

from django.urls import reverse
from django.utils import timezone

from chatbot.conversations.models import Message
from chatbot.support.models import Escalation, InternalNote
from tests.chatbot.review.factories import escalate, exchange, make_conversation, rate, say


def transcript(client, conversation):
    response = client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk]))
    assert response.status_code == 200
    return response.text


def test_it_shows_every_message_in_order_with_the_bot_replys_details(reviewer_client, support_staff):
    conversation = make_conversation()
    exchange(
        conversation,
        "Where is my parcel?",
        "It ships tomorrow.",
        intent="track_order",
        confidence=0.12,
        model_version="20250301-120000-small",
        feedback=Message.Vote.DOWN,
    )
    say(conversation, "Thanks, Dana here.", sender=Message.Sender.STAFF, author=support_staff)
    rate(conversation, 4, comment="quick")

    page = transcript(reviewer_client, conversation)

    assert (
        page.index("Where is my parcel?")
        < page.index("It ships tomorrow.")
        < page.index("Thanks, Dana here.")
    )
    for detail in (
        "track_order",
        "0.12",
        "unsure",
        "420 ms",
        "first token 80 ms",
        "20250301-120000-small",
        "Not helpful",
        "Dana Scully (staff)",
        "4/5",
        "“quick”",
    ):
        assert detail in page, detail


def test_escalation_events_appear_at_their_time(reviewer_client, support_staff):
    conversation = make_conversation()
    start = timezone.now() - datetime.timedelta(minutes=10)
    say(conversation, "I am furious", created=start)
    escalation = escalate(conversation, reason=Escalation.Reason.ANGRY_LANGUAGE, assignee=support_staff)
    escalation.events.update(created=start + datetime.timedelta(minutes=1))
    say(
        conversation,
        "How can I help?",
        sender=Message.Sender.STAFF,
        author=support_staff,
        created=start + datetime.timedelta(minutes=2),
    )

    page = transcript(reviewer_client, conversation)

    escalated = page.index("Escalated</strong>: Angry or abusive")
    assert page.index("I am furious") < escalated < page.index("Claimed</strong> by Dana Scully")
    assert page.index("Claimed</strong>") < page.index("How can I help?")


def test_internal_notes_show_for_those_who_may_read_them(reviewer_client, support_staff):
    conversation = make_conversation()
    say(conversation, "hello")
    InternalNote.objects.create(conversation=conversation, author=support_staff, text="Customer is a VIP")
    assert "Customer is a VIP" in transcript(reviewer_client, conversation)


def test_user_text_is_shown_as_text_never_as_html(reviewer_client, reviewer):
    conversation = make_conversation()
    reply = exchange(
        conversation, "<script>alert('x')</script>", "<b>bold</b> & <img src=x onerror=alert(1)>"
    )
    from chatbot.review.models import Annotation

    Annotation.objects.create(
        message=reply, verdict="bad", wrong_facts=True, corrected_reply="<i>fixed</i>", reviewer=reviewer
    )
    page = transcript(reviewer_client, conversation)

    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<i>fixed</i>" not in page and "&lt;i&gt;fixed&lt;/i&gt;" in page


def test_an_unknown_conversation_sends_back_to_the_list(reviewer_client):
    response = reviewer_client.get(reverse("admin:conversations_conversation_change", args=[999999]))
    assert response.status_code == 302


def test_the_transcript_costs_the_same_queries_for_2_and_20_replies(reviewer_client, reviewer, support_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chatbot.review.models import Annotation

    conversation = make_conversation()
    escalate(conversation, assignee=support_staff)

    def add_replies(count: int) -> None:
        for number in range(count):
            reply = exchange(conversation, f"question {number}", "answer")
            Annotation.objects.create(message=reply, verdict="bad", bad_tone=True, reviewer=reviewer)
            say(conversation, "staff here", sender=Message.Sender.STAFF, author=support_staff)
            InternalNote.objects.create(conversation=conversation, author=support_staff, text="note")

    add_replies(2)
    with CaptureQueriesContext(connection) as two:
        transcript(reviewer_client, conversation)
    add_replies(18)
    with CaptureQueriesContext(connection) as twenty:
        page = transcript(reviewer_client, conversation)
    assert page.count("Change the review") == 20
    assert len(twenty.captured_queries) == len(two.captured_queries)
