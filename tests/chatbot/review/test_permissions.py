"""Who sees what: reviewers read, annotate and export; support staff only read; anonymous users and
staff in neither group see nothing."""

import pytest
from django.urls import reverse

from chatbot.audit.models import AuditLogEntry
from chatbot.review.models import Annotation
from tests.chatbot.review.factories import exchange, make_conversation

LIST_URL = reverse("admin:conversations_conversation_changelist")


@pytest.fixture
def reply(db):
    return exchange(make_conversation(), "where is my order", "It is on its way.")


def transcript_url(reply) -> str:
    return reverse("admin:conversations_conversation_change", args=[reply.conversation_id])


def review_url(reply) -> str:
    return reverse("admin:conversations_conversation_review_reply", args=[reply.conversation_id, reply.pk])


def export_url(export_format: str) -> str:
    return reverse("admin:conversations_conversation_export", args=[export_format])


GOOD = {"reply-{pk}-verdict": "good"}


def good_review(reply) -> dict:
    return {key.format(pk=reply.pk): value for key, value in GOOD.items()}


def test_anonymous_users_are_sent_to_the_login_page_everywhere(client, reply):
    for url in (LIST_URL, transcript_url(reply), export_url("csv"), export_url("jsonl")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    response = client.post(review_url(reply), good_review(reply))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Annotation.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_staff_in_no_group_see_nothing(client, outsider, reply):
    client.force_login(outsider)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(transcript_url(reply)).status_code == 403
    assert client.get(export_url("csv")).status_code == 403
    assert client.post(review_url(reply), good_review(reply)).status_code == 403


def test_support_staff_read_transcripts_but_cannot_annotate(client, support_staff, reply):
    client.force_login(support_staff)
    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert "Export CSV" not in listing.text
    page = client.get(transcript_url(reply))
    assert page.status_code == 200
    assert "It is on its way." in page.text
    assert "Review this reply" not in page.text

    assert client.post(review_url(reply), good_review(reply)).status_code == 403
    assert not Annotation.objects.exists()


def test_support_staff_cannot_export(client, support_staff, reply):
    client.force_login(support_staff)
    for export_format in ("csv", "jsonl", "training"):
        assert client.get(export_url(export_format)).status_code == 403
    # Nor through the list's actions: they are not offered, and posting one anyway does nothing.
    listing = client.get(LIST_URL)
    assert "export_csv" not in listing.text
    response = client.post(
        LIST_URL, {"action": "export_csv", "_selected_action": [reply.conversation_id]}, follow=True
    )
    assert not response.streaming
    assert not AuditLogEntry.objects.exists()


def test_reviewers_read_annotate_and_export(reviewer_client, reply):
    listing = reviewer_client.get(LIST_URL)
    assert "Export CSV" in listing.text and "export_csv" in listing.text
    assert "Review this reply" in reviewer_client.get(transcript_url(reply)).text
    assert reviewer_client.post(review_url(reply), good_review(reply)).status_code == 302
    assert Annotation.objects.get().verdict == "good"
    response = reviewer_client.get(export_url("csv"))
    assert response.status_code == 200 and response.streaming


def test_superusers_are_reviewers(client, admin_user, reply):
    client.force_login(admin_user)
    assert client.post(review_url(reply), good_review(reply)).status_code == 302
    assert client.get(export_url("jsonl")).status_code == 200


def test_conversations_cannot_be_added_or_edited_in_the_admin(reviewer_client, admin_user, client, reply):
    client.force_login(admin_user)
    assert client.get(reverse("admin:conversations_conversation_add")).status_code == 403


def test_an_unknown_export_format_is_not_found(reviewer_client, reply):
    assert reviewer_client.get(export_url("xlsx")).status_code == 404
