"""How long the transcript review list takes on a large data set: the admin's changelist view (query,
filters, template) unfiltered, with each filter, sorted, deep in the pages, and with a text search, on
whatever database DATABASE_URL names.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatbot_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatbot_bench python -m bench.transcript_dataset
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatbot_bench python -m bench.review_list

Each figure is the median (and the fastest) of --rounds runs after one warm-up run, for a superuser held
in memory (no session, nothing written). --exports also streams every conversation as CSV and as JSONL
(the exports' own generators, no HTTP) and reports the time and how much the process's peak memory grew.
With --lock PATH the timed part waits while PATH exists and holds it meanwhile, so that two benchmarks
sharing a machine never run at once.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from datetime import timedelta
from pathlib import Path

import django
from django.apps import apps

if not apps.ready:  # run as a script; under pytest Django is set up already
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbot.settings")
    django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.analytics import holding, measure  # noqa: E402
from chatbot.conversations.models import Conversation, Message  # noqa: E402
from chatbot.review.exports import transcripts  # noqa: E402
from chatbot.support.selectors import staff_users  # noqa: E402


def cases() -> dict[str, dict[str, str]]:
    """The list's query strings, with values taken from the data (a common intent, the oldest model)."""
    bot = Message.objects.filter(sender=Message.Sender.BOT)
    intent = bot.values("intent").annotate(n=Count("pk")).order_by("-n").values_list("intent", flat=True)[3]
    versions = bot.exclude(model_version="").order_by("created")
    oldest_model = versions.values_list("model_version", flat=True)[0]
    staff = staff_users().first()
    if staff is None:
        raise SystemExit("the data set has no staff members: generate it with bench.transcript_dataset")
    newest = Conversation.objects.order_by("-created").values_list("created", flat=True)[0]
    last_day = timezone.localtime(newest).date()
    per_page = admin.site._registry[Conversation].list_per_page
    middle_page = max(1, Conversation.objects.count() // per_page // 2)
    return {
        "newest first, page 1": {},
        f"newest first, page {middle_page:,} (the middle)": {"p": str(middle_page)},
        "sorted by message count": {"o": "-5"},
        "started in the last 7 days": {
            "started_from": str(last_day - timedelta(days=6)),
            "started_to": str(last_day),
        },
        "status: with staff": {"status__exact": "with_staff"},
        "escalated: complaint": {"escalation": "complaint"},
        "never escalated": {"escalation": "no"},
        f"bot intent: {intent}": {"intent": intent},
        "CSAT 1 of 5": {"csat": "1"},
        f"model version: {oldest_model}": {"model_version": oldest_model},
        "a reply below the confidence threshold": {"low_confidence": "yes"},
        f"staff member: {staff.get_username()}": {"staff": str(staff.pk)},
        "a reply voted not helpful": {"vote": "down"},
        "not reviewed": {"review": "none"},
        "escalated + unsure + voted down": {"escalation": "yes", "low_confidence": "yes", "vote": "down"},
        "search: refund": {"q": "refund"},
        'search: "gift card"': {"q": '"gift card"'},
        "search: a word in no message": {"q": "xylophone"},
        "search: refund, escalated, last 7 days": {
            "q": "refund",
            "escalation": "yes",
            "started_from": str(last_day - timedelta(days=6)),
        },
    }


def changelist(params: dict[str, str]):
    """The admin's changelist view itself, rendered, for a superuser held in memory."""
    model_admin = admin.site._registry[Conversation]
    request = RequestFactory().get("/admin/conversations/conversation/", params)
    request.user = get_user_model()(username="bench", is_superuser=True, is_staff=True, is_active=True)

    def render() -> int:
        response = model_admin.changelist_view(request)
        assert response.status_code == 200, f"{params}: {response.status_code} {response.get('Location')}"
        response.render()
        return len(response.context_data["cl"].result_list)

    return render


def export_figures() -> None:
    """Stream every conversation through the CSV and JSONL exports: lines, seconds, peak memory growth."""
    for name, lines in (("CSV", transcripts.csv_lines), ("JSONL", transcripts.jsonl_lines)):
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, count, size = time.perf_counter(), 0, 0
        for line in lines(Conversation.objects.all()):
            count += 1
            size += len(line)
        seconds = time.perf_counter() - started
        growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
        print(
            f"{name} export of every conversation: {count:,} lines, {size / 2**20:,.0f} MiB in "
            f"{seconds:.1f} s ({count / seconds:,.0f} lines/s); peak memory grew by {growth:,.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lock", type=Path, help="a file that marks a benchmark running on this machine")
    parser.add_argument("--exports", action="store_true", help="also time the CSV and JSONL exports")
    args = parser.parse_args()

    if not Conversation.objects.exists():
        raise SystemExit("the database has no conversations: run python -m bench.transcript_dataset first")
    print(
        f"{connection.vendor} ({connection.settings_dict['NAME']}): {Conversation.objects.count():,} "
        f"conversations, {Message.objects.count():,} messages"
    )
    work = {name: changelist(params) for name, params in cases().items()}
    with holding(args.lock):
        results = {name: (measure(run, args.rounds), run()) for name, run in work.items()}
    print(f"\n| {'list page':<42} | rows | queries | median ms | fastest ms |")
    print(f"| {'-' * 42} | ---: | ------: | --------: | ---------: |")
    for name, ((queries, timings), rows) in results.items():
        median, fastest = statistics.median(timings), min(timings)
        print(f"| {name:<42} | {rows:>4} | {queries:>7} | {median:>9.0f} | {fastest:>10.0f} |")
    if args.exports:
        print()
        with holding(args.lock):
            export_figures()


if __name__ == "__main__":
    main()
