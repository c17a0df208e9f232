"""How long the analytics page takes on a large data set: each section's queries, the whole report, and
the whole page (the view with its template and charts), on whatever database DATABASE_URL names.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatbot_bench python -m bench.analytics
    DATABASE_URL=postgres://... python -m bench.analytics --from 2025-03-03 --to 2025-05-31

Fill the database with bench/transcript_dataset.py first. The default period is the last 30 days that
have conversations. Each figure is the median (and the fastest) of --rounds runs after one warm-up run.
With --lock PATH the timed part waits while PATH exists and holds it meanwhile, so that two benchmarks
sharing a machine never run at once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import django
from django.apps import apps

if not apps.ready:  # run as a script; under pytest Django is set up already
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbot.settings")
    django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from chatbot.analytics import selectors, views  # noqa: E402
from chatbot.analytics.period import Period  # noqa: E402
from chatbot.conversations.models import Conversation, Message  # noqa: E402
from chatbot.support.config import support_config  # noqa: E402


@contextmanager
def holding(lock: Path | None) -> Iterator[None]:
    """Wait until nobody holds `lock`, then hold it (a file that exists) until the block ends."""
    if lock is None:
        yield
        return
    waited = False
    while True:
        try:
            lock.touch(exist_ok=False)
            break
        except FileExistsError:
            if not waited:
                print(f"waiting until {lock} is gone ...", flush=True)
                waited = True
            time.sleep(5)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def measure(work: Callable[[], object], rounds: int) -> tuple[int, list[float]]:
    """(queries of one run, milliseconds of each timed run) after one warm-up run."""
    with CaptureQueriesContext(connection) as captured:
        work()
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return len(captured), timings


def sections(period: Period, threshold: float) -> dict[str, Callable[[], object]]:
    return {
        "conversations per day": lambda: selectors.conversations_per_day(period=period),
        "bot alone / escalated by reason": lambda: selectors.conversation_outcomes(period=period),
        "replies: totals, model versions": lambda: selectors.reply_figures(
            period=period, threshold=threshold
        ),
        "first bot token p50/p95": lambda: selectors.first_token_times(period=period, timed_replies=0),
        "first staff message p50/p95": lambda: selectors.staff_response_times(period=period),
        "CSAT": lambda: selectors.csat(period=period),
        "top intents": lambda: selectors.top_intents(period=period),
        "whole report": lambda: selectors.analytics_report(period=period, low_confidence_threshold=threshold),
    }


def page(period: Period) -> Callable[[], object]:
    """The view itself (period form, report, charts, template) for an admin held in memory: no session."""
    request = RequestFactory().get(
        "/analytics/", {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()}
    )
    request.user = get_user_model()(username="bench", is_superuser=True, is_active=True)

    def render() -> object:
        response = views.analytics_page(request)
        assert response.status_code == 200, response.content[:500]
        return response

    return render


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="first", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="last", type=date.fromisoformat, help="last day (YYYY-MM-DD)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lock", type=Path, help="a file that marks a benchmark running on this machine")
    args = parser.parse_args()

    config = support_config()
    newest = Conversation.objects.order_by("-created").values_list("created", flat=True).first()
    if newest is None:
        raise SystemExit("the database has no conversations: run python -m bench.transcript_dataset first")
    last = args.last or newest.astimezone(config.timezone).date()
    period = Period(
        first_day=args.first or last - timedelta(days=29), last_day=last, timezone=config.timezone
    )
    in_period = Conversation.objects.filter(**period.range_of("created")).count()
    print(
        f"{connection.vendor} ({connection.settings_dict['NAME']}): {Conversation.objects.count():,} "
        f"conversations, {Message.objects.count():,} messages; period {period.first_day} to "
        f"{period.last_day} ({period.day_count} days, {in_period:,} conversations)"
    )
    work = {**sections(period, config.low_confidence_threshold), "whole page (view + template)": page(period)}
    with holding(args.lock):
        results = {name: measure(run, args.rounds) for name, run in work.items()}
    print(f"\n| {'part':<32} | queries | median ms | fastest ms |")
    print(f"| {'-' * 32} | ------: | --------: | ---------: |")
    for name, (queries, timings) in results.items():
        print(f"| {name:<32} | {queries:>7} | {statistics.median(timings):>9.0f} | {min(timings):>10.0f} |")


if __name__ == "__main__":
    main()
