"""Reviewing a bot reply: the rules (services.check_review) and the form on the transcript page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from chatbot.review import services
from chatbot.review.models import Annotation
from chatbot.review.services import Review
from tests.chatbot.review.factories import exchange, make_conversation, say

BAD_FACTS = frozenset({"wrong_facts"})


@pytest.fixture
def reply(db):
    return exchange(make_conversation(), "Do you ship to Norway?", "No, we only ship to Sweden.")


def review_errors(reply, **fields) -> dict[str, list[str]]:
    fields.setdefault("reasons", frozenset())
    with pytest.raises(ValidationError) as caught:
        services.check_review(reply=reply, review=Review(**fields))
    return caught.value.message_dict


# --- The rules --------------------------------------------------------------------------------------


def test_a_good_reply_has_no_reasons_and_no_correction(reply):
    assert "reasons" in review_errors(reply, verdict="good", reasons=BAD_FACTS)
    errors = review_errors(reply, verdict="good", corrected_reply="Something else")
    assert errors["corrected_reply"] == ["A good reply needs no correction: mark it bad to correct it."]


def test_a_bad_reply_says_why(reply):
    errors = review_errors(reply, verdict="bad", corrected_reply="Yes, we ship to Norway.")
    assert errors["reasons"] == ["Say why the reply was bad: tick at least one reason."]


def test_a_bad_reply_needs_no_correction(reply):
    cleaned = services.check_review(reply=reply, review=Review(verdict="bad", reasons=BAD_FACTS))
    assert cleaned.corrected_reply == ""


def test_the_verdict_is_required_and_reasons_are_known(reply):
    assert review_errors(reply, verdict="")["verdict"] == ["Choose whether the reply was good or bad."]
    assert (
        "Unknown reasons: rude"
        in review_errors(reply, verdict="bad", reasons=frozenset({"rude"}))["reasons"][0]
    )


def test_a_correction_must_change_the_reply(reply):
    errors = review_errors(
        reply, verdict="bad", reasons=BAD_FACTS, corrected_reply="  No, we only ship to Sweden. "
    )
    assert "unchanged" in errors["corrected_reply"][0]


def test_a_correction_longer_than_a_message_is_refused(reply, settings):
    settings.CHATBOT_MAX_MESSAGE_CHARS = 50
    errors = review_errors(reply, verdict="bad", reasons=BAD_FACTS, corrected_reply="x" * 51)
    assert errors["corrected_reply"] == ["The correction is 51 characters long; a reply may have at most 50."]


@pytest.mark.slow
def test_a_correction_longer_than_training_keeps_is_refused(reply, settings, tiny_model_root):
    """Measured with the serving model's own tokenizer against the cap its training used."""
    from chatbot.review.limits import correction_limits

    limits = correction_limits()
    assert limits.max_pieces is not None and limits.model_version
    # Digits are split one piece each (split_digits), so this is one piece per digit at least.
    too_long = "Your order number is " + "1" * (limits.max_pieces + 1)
    assert len(too_long) < settings.CHATBOT_MAX_MESSAGE_CHARS
    errors = review_errors(reply, verdict="bad", reasons=BAD_FACTS, corrected_reply=too_long)
    assert "too long for the model" in errors["corrected_reply"][0]
    assert f"at most {limits.max_pieces}" in errors["corrected_reply"][0]
    fine = services.check_review(
        reply=reply,
        review=Review(verdict="bad", reasons=BAD_FACTS, corrected_reply="Yes, we ship to Norway."),
    )
    assert fine.corrected_reply == "Yes, we ship to Norway."


def test_a_corrected_intent_goes_with_the_wrong_intent_reason(reply):
    errors = review_errors(reply, verdict="bad", reasons=BAD_FACTS, corrected_intent="shipping")
    assert errors["corrected_intent"] == ["A corrected intent is only for replies tagged “Wrong intent”."]
    wrong_intent = frozenset({"wrong_intent"})
    errors = review_errors(reply, verdict="bad", reasons=wrong_intent, corrected_reply="Yes, we do.")
    assert "give the right one" in errors["corrected_intent"][0]
    errors = review_errors(reply, verdict="bad", reasons=wrong_intent, corrected_intent="Shipping Info!")
    assert "lower-case letters, digits and underscores" in errors["corrected_intent"][0]
    errors = review_errors(reply, verdict="bad", reasons=wrong_intent, corrected_intent="track_order")
    assert errors["corrected_intent"] == ["That is the bot's own intent."]


def test_a_reply_without_an_intent_needs_one_for_its_correction(db):
    reply = exchange(make_conversation(), "hi", "Hello!", intent="")
    errors = review_errors(reply, verdict="bad", reasons=frozenset({"bad_tone"}), corrected_reply="Hi there!")
    assert "recorded no intent" in errors["corrected_intent"][0]


def test_saving_again_replaces_the_review_and_records_who_and_when(reply, reviewer, other_reviewer):
    first = services.do_review_reply(reviewer=reviewer, reply=reply, review=Review("bad", BAD_FACTS))
    second = services.do_review_reply(
        reviewer=other_reviewer,
        reply=reply,
        review=Review("bad", frozenset({"wrong_facts", "should_have_escalated"}), "Yes, we ship to Norway."),
    )
    assert Annotation.objects.count() == 1
    assert second.pk == first.pk and second.created == first.created and second.updated > first.updated
    assert second.reviewer == other_reviewer
    assert second.reasons == ["wrong_facts", "should_have_escalated"]


# --- The form on the transcript page ------------------------------------------------------------------


def review_url(reply) -> str:
    return reverse("admin:conversations_conversation_review_reply", args=[reply.conversation_id, reply.pk])


def form_data(reply, **fields) -> dict:
    return {f"reply-{reply.pk}-{name}": value for name, value in fields.items()}


def test_a_reviewer_annotates_a_reply_from_the_transcript(reviewer_client, reviewer, reply):
    response = reviewer_client.post(
        review_url(reply),
        form_data(
            reply,
            verdict="bad",
            reasons=["wrong_facts", "should_have_escalated"],
            corrected_reply="Yes, we ship to Norway in 5 to 10 business days.",
        ),
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{reply.conversation_id}/change/#reply-{reply.pk}")
    annotation = Annotation.objects.get(message=reply)
    assert (annotation.verdict, annotation.reviewer) == ("bad", reviewer)
    assert annotation.corrected_reply == "Yes, we ship to Norway in 5 to 10 business days."

    page = reviewer_client.get(response["Location"]).text
    assert "Review saved." in page
    assert "Reviewed: Bad</strong> (Wrong facts, Should have escalated)" in page
    assert "Yes, we ship to Norway in 5 to 10 business days." in page
    assert "Change the review" in page


def test_errors_are_shown_next_to_the_reply_and_nothing_is_stored(reviewer_client, reply):
    response = reviewer_client.post(
        review_url(reply), form_data(reply, verdict="good", corrected_reply="Something better")
    )
    assert response.status_code == 200
    page = response.text
    assert "The review was not saved" in page
    assert "A good reply needs no correction: mark it bad to correct it." in page
    assert "Something better" in page  # what the reviewer typed is kept
    assert not Annotation.objects.exists()


def test_only_bot_replies_of_that_conversation_can_be_reviewed(reviewer_client, reply):
    customer_message = reply.reply_to
    wrong = reverse(
        "admin:conversations_conversation_review_reply", args=[reply.conversation_id, customer_message.pk]
    )
    assert reviewer_client.post(wrong, form_data(customer_message, verdict="good")).status_code == 404
    elsewhere = exchange(make_conversation(), "q", "a")
    wrong = reverse(
        "admin:conversations_conversation_review_reply", args=[reply.conversation_id, elsewhere.pk]
    )
    assert reviewer_client.post(wrong, form_data(elsewhere, verdict="good")).status_code == 404
    assert reviewer_client.get(review_url(reply)).status_code == 405
    assert not Annotation.objects.exists()


def test_system_messages_get_no_review_form(reviewer_client, reply):
    say(reply.conversation, "The assistant could not answer.", sender="system")
    page = reviewer_client.get(
        reverse("admin:conversations_conversation_change", args=[reply.conversation_id])
    )
    assert page.text.count("Review this reply") == 1
