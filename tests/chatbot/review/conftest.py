"""Review personas: a reviewer, a second reviewer, a support staff member, an admin, an outsider."""

import pytest
from django.contrib.auth import get_user_model

from tests.chatbot.review.factories import PASSWORD, make_reviewer, make_support_staff


@pytest.fixture
def reviewer(db):
    """Rita, in "Transcript reviewers"."""
    return make_reviewer("rita", first_name="Rita")


@pytest.fixture
def other_reviewer(db):
    return make_reviewer("ravi", first_name="Ravi")


@pytest.fixture
def support_staff(db):
    """Dana, in "Support staff" with admin access: reads transcripts, may not annotate or export."""
    return make_support_staff("dana", first_name="Dana", last_name="Scully")


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def outsider(db):
    """Allowed into the admin site, in no group."""
    return get_user_model().objects.create_user("olga", password=PASSWORD, is_staff=True)


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client
