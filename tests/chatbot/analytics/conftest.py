"""Personas for the analytics page (a staff member, a reviewer, an admin, a customer with an account)
and the hand-built data set of dataset.py with its period."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from chatbot.analytics.period import Period
from chatbot.review.reviewer_group import REVIEWER_GROUP
from tests.chatbot.analytics.dataset import Example, build_example
from tests.chatbot.support.factories import PASSWORD, make_staff

User = get_user_model()
UTC = ZoneInfo("UTC")


@pytest.fixture
def example(db) -> Example:
    return build_example()


@pytest.fixture
def march() -> Period:
    """1 to 3 March 2025, days in UTC: the period the hand-built data set is worked out for."""
    return Period(first_day=date(2025, 3, 1), last_day=date(2025, 3, 3), timezone=UTC)


@pytest.fixture
def staff(db) -> User:
    return make_staff("dana", first_name="Dana", last_name="Scully")


@pytest.fixture
def reviewer(db) -> User:
    """In the "Transcript reviewers" group only: may read analytics, not use the console."""
    user = User.objects.create_user("rita", password=PASSWORD, first_name="Rita")
    user.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0])
    return user


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def customer_user(db) -> User:
    """A customer who signed up: signed in, but neither staff nor reviewer."""
    return User.objects.create_user("carl", password=PASSWORD)
