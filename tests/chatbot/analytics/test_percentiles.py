"""Percentiles by the database: PostgreSQL's percentile_cont and the window-function method used on
SQLite give numpy's (linear) percentiles, and on PostgreSQL the two methods agree to the last bit."""

import random

import numpy as np
import pytest
from django.db import connection

from chatbot.analytics.percentiles import PercentileCont, _percentile_cont, _ranked, interpolate, percentiles
from chatbot.conversations.models import Conversation, Customer, Message

pytestmark = pytest.mark.django_db
FRACTIONS = [0.0, 0.25, 0.5, 0.9, 0.95, 1.0]


@pytest.fixture
def timed_replies() -> dict[str, list[int]]:
    """Bot replies of three model versions (17, 2 and 1 of them) with first-token times, plus replies
    without a time, which never count."""
    rng = random.Random(7)
    conversation = Conversation.objects.create(customer=Customer.objects.create())
    times = {"a": [rng.randint(50, 900) for _ in range(17)], "b": [120, 80], "c": [42]}
    rows = [
        Message(conversation=conversation, sender="bot", text="hi", model_version=version, first_token_ms=ms)
        for version, values in times.items()
        for ms in [*values, None]
    ]
    Message.objects.bulk_create(rows)
    return times


def test_interpolation_between_the_two_values_around_the_position():
    assert interpolate({1: 10.0, 2: 20.0}, 4, 0.5) == 15.0  # position 1.5
    assert interpolate({3: 7.0}, 4, 1.0) == 7.0  # the last value: nothing after it
    assert interpolate({0: 5.0}, 1, 0.95) == 5.0  # one value is every percentile


def test_percentiles_per_group_match_numpy(timed_replies):
    found = percentiles(Message.objects.all(), "first_token_ms", FRACTIONS, group_by="model_version")
    assert set(found) == {"a", "b", "c"}
    for version, values in timed_replies.items():
        for fraction in FRACTIONS:
            expected = np.percentile(values, fraction * 100)
            assert found[version][fraction] == pytest.approx(expected, rel=1e-12), (version, fraction)


def test_percentiles_of_everything_and_of_nothing(timed_replies):
    everything = [value for values in timed_replies.values() for value in values]
    found = percentiles(Message.objects.all(), "first_token_ms", [0.5, 0.95])
    assert found[None][0.5] == pytest.approx(np.percentile(everything, 50))
    assert found[None][0.95] == pytest.approx(np.percentile(everything, 95))
    assert percentiles(Message.objects.filter(first_token_ms__isnull=True), "first_token_ms", [0.5]) == {}
    assert (
        percentiles(Message.objects.filter(model_version="z"), "first_token_ms", [0.5], group_by="intent")
        == {}
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont is PostgreSQL's")
def test_the_window_method_gives_exactly_what_percentile_cont_gives(timed_replies):
    from django.db.models import F, FloatField
    from django.db.models.functions import Cast

    rows = Message.objects.annotate(_percentile_value=Cast(F("first_token_ms"), FloatField())).filter(
        _percentile_value__isnull=False
    )
    for group_by in (None, "model_version"):
        assert _ranked(rows, FRACTIONS, group_by) == _percentile_cont(rows, FRACTIONS, group_by)


def test_a_fraction_outside_0_to_1_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        PercentileCont("first_token_ms", fraction=95)
