"""A realistic transcript data set for the benchmarks of the review list and the analytics page.

By default 100,000 conversations and 1,000,000 messages over 90 days ending today (UTC): customers (some
come back after a resolved conversation), customer and bot turns with the sample shop's texts, intents,
confidences, latencies, model versions and thumbs, escalations with reasons, claims, transfers,
resolutions and their SupportEvent rows, staff messages from a dozen staff members, and CSAT ratings.
Three model versions follow each other, the last two side by side for the final third (an A/B test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatbot_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chatbot_bench python -m bench.transcript_dataset

The same seed and end date give the same rows (ids, UUIDs and texts included). Everything is written in
one transaction: an interrupted run leaves nothing behind. A database that already has conversations is
refused unless --append, so a benchmark never counts rows it did not make by mistake.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import django
from django.apps import apps

if not apps.ready:  # run as a script; under pytest Django is set up already
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbot.settings")
    django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.transcript_stories import (  # noqa: E402
    FIRST_NAMES,
    TABLES,
    Ids,
    TranscriptFactory,
    conversation_lengths,
)
from chatbot.conversations.models import Conversation, Customer, Message  # noqa: E402
from chatbot.support.models import CsatRating, Escalation  # noqa: E402
from chatbot.support.staff_group import ensure_staff_group  # noqa: E402


class DatasetError(Exception):
    """The data set cannot be generated with these arguments or into this database."""


@dataclass(frozen=True)
class Summary:
    customers: int
    conversations: int
    messages: int
    escalations: int
    ratings: int


def staff_members(count: int) -> list:
    """`count` staff users (made once, reused by --append), in the "Support staff" group. They have no
    password; `manage.py changepassword staff01` gives one to sign in as."""
    group = ensure_staff_group(group_model=Group, permission_model=Permission)
    members = []
    for number in range(1, count + 1):
        user, created = get_user_model().objects.get_or_create(
            username=f"staff{number:02d}",
            defaults={"first_name": FIRST_NAMES[(number - 1) % len(FIRST_NAMES)], "last_name": "Bench"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
        members.append(user)
    return members


class _StoredUpdatedTimes:
    """bulk_create fills an auto_now field with the current time; the data set needs each conversation's
    last activity instead, so the field's auto_now is off while the rows are written."""

    def __enter__(self) -> None:
        self.field = Conversation._meta.get_field("updated")
        self.field.auto_now = False

    def __exit__(self, *exc_info) -> None:
        self.field.auto_now = True


def generate(
    *,
    conversations: int = 100_000,
    messages_per_conversation: int = 10,
    days: int = 90,
    end: date | None = None,
    seed: int = 5,
    staff: int = 12,
    batch_conversations: int = 2000,
    append: bool = False,
    progress: bool = True,
) -> Summary:
    """Write the data set into the default database, all of it or (on any error) nothing."""
    if conversations < 1 or messages_per_conversation < 2 or days < 1 or staff < 2 or batch_conversations < 1:
        raise DatasetError(
            "need at least 1 conversation, 2 messages per conversation, 1 day, 2 staff members and "
            "1 conversation per batch"
        )
    existing = Conversation.objects.count()
    if existing and not append:
        raise DatasetError(
            f"the database {connection.settings_dict['NAME']} already has {existing} conversations; "
            "use a fresh database (see docs/analytics.md) or pass --append to add to them"
        )
    rng = random.Random(seed)
    end_at = datetime.combine(end or datetime.now(UTC).date(), time(0), tzinfo=UTC)
    with transaction.atomic(), _StoredUpdatedTimes():
        factory = TranscriptFactory(
            rng=rng, start=end_at - timedelta(days=days), end=end_at, staff=staff_members(staff), ids=Ids()
        )
        lengths = conversation_lengths(
            rng=rng, conversations=conversations, per_conversation=messages_per_conversation
        )
        starts = factory.start_times(conversations)
        totals = Summary(0, 0, 0, 0, 0)
        with tqdm(total=conversations, unit="conv", disable=not progress, desc="transcripts") as bar:
            for offset in range(0, conversations, batch_conversations):
                batch = range(offset, min(offset + batch_conversations, conversations))
                for index in batch:
                    factory.conversation(starts[index], lengths[index])
                rows = factory.take_rows()
                rows.save()
                totals = Summary(
                    totals.customers + rows.count(Customer),
                    totals.conversations + rows.count(Conversation),
                    totals.messages + rows.count(Message),
                    totals.escalations + rows.count(Escalation),
                    totals.ratings + rows.count(CsatRating),
                )
                bar.update(len(batch))
        # The ids were chosen here, not by the database: PostgreSQL's sequences must continue after them.
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), TABLES):
                cursor.execute(statement)
    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum would make them later: a benchmark right after the load sees
        # the query plans a live database gets.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in TABLES))
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument(
        "--messages-per-conversation", type=int, default=10, help="the average; the total is exact"
    )
    parser.add_argument("--days", type=int, default=90, help="how many days the conversations span")
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="the day after the last one (YYYY-MM-DD, default today)",
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--staff", type=int, default=12, help="staff members answering escalations")
    parser.add_argument("--batch", type=int, default=2000, help="conversations written per round of inserts")
    parser.add_argument("--append", action="store_true", help="add to a database that has conversations")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        summary = generate(
            conversations=args.conversations,
            messages_per_conversation=args.messages_per_conversation,
            days=args.days,
            end=args.end,
            seed=args.seed,
            staff=args.staff,
            batch_conversations=args.batch,
            append=args.append,
            progress=not args.quiet,
        )
    except DatasetError as error:
        print(f"transcript_dataset: {error}", file=sys.stderr)
        return 2
    print(
        f"{summary.conversations} conversations, {summary.messages} messages, "
        f"{summary.customers} new customers, {summary.escalations} escalations, "
        f"{summary.ratings} CSAT ratings"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
