"""The per-customer rate limit counts in the cache, per fixed window."""

from chatbot.conversations.throttling import allow_message


def test_it_allows_the_limit_and_refuses_the_next_in_the_same_window():
    results = [allow_message(customer_id=1, limit=3, period_seconds=60, now=120.0 + i) for i in range(4)]
    assert results == [True, True, True, False]


def test_a_new_window_starts_a_new_count():
    for _ in range(3):
        allow_message(customer_id=1, limit=3, period_seconds=60, now=170.0)
    assert allow_message(customer_id=1, limit=3, period_seconds=60, now=180.0) is True


def test_customers_are_counted_separately():
    for _ in range(3):
        allow_message(customer_id=1, limit=3, period_seconds=60, now=10.0)
    assert allow_message(customer_id=2, limit=3, period_seconds=60, now=10.0) is True
