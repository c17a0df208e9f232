"""Export responses: streamed row by row, in constant memory under both WSGI and ASGI, audited first."""

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from chatbot.audit.services import record
from chatbot.review import permissions
from chatbot.review.exports import training, transcripts

# Lines handed from the database thread to the event loop at a time under ASGI.
ASGI_BATCH_LINES = 500
# An audit entry lists the conversations' ids up to this many; beyond, the filters and count say it.
AUDIT_MAX_IDS = 1000


class ExportResponse(StreamingHttpResponse):
    """A download streamed from a synchronous generator of lines.

    Served over ASGI (daphne), Django would first collect a synchronous iterator into one list, every row
    of the export in memory at once; this pulls it in batches of ASGI_BATCH_LINES on the thread that
    owns the database connection instead. Over WSGI and in the test client it is an ordinary iterator.
    """

    def __init__(self, lines: Iterator[str], *, filename: str, content_type: str) -> None:
        super().__init__(lines, content_type=content_type)
        self["Content-Disposition"] = f'attachment; filename="{filename}"'
        self["Cache-Control"] = "no-store"  # customers' words: never kept by a proxy or the browser cache

    async def __aiter__(self):
        parts = self.streaming_content
        next_batch = sync_to_async(lambda: list(islice(parts, ASGI_BATCH_LINES)), thread_sensitive=True)
        while batch := await next_batch():
            for part in batch:
                yield part


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    content_type: str
    lines: Any  # (conversations) -> Iterator[str]


FORMATS = {
    "csv": ExportFormat("CSV", "csv", "text/csv; charset=utf-8", transcripts.csv_lines),
    "jsonl": ExportFormat("JSONL", "jsonl", "application/x-ndjson; charset=utf-8", transcripts.jsonl_lines),
    "training": ExportFormat(
        "training pairs", "jsonl", "application/x-ndjson; charset=utf-8", training.training_lines
    ),
}


def check_can_export(user: AbstractBaseUser) -> None:
    if not permissions.can_export(user):
        raise PermissionDenied("Only transcript reviewers can export transcripts.")


def do_export(
    *, user: AbstractBaseUser, conversations: QuerySet, export_format: str, selection: dict[str, Any]
) -> ExportResponse:
    """Audit, then stream `conversations` in `export_format` ("csv", "jsonl" or "training").

    `selection` says how they were chosen (the changelist filters and search, or "selected"), for the
    audit entry. The entry is written before the first byte, so an export cut off half-way is on
    record too.
    """
    check_can_export(user)
    chosen = FORMATS[export_format]
    if export_format == "training":  # counted and listed in the audit: only those with a correction
        conversations = training.conversations_with_corrections(conversations)
    ids = list(conversations.order_by("pk").values_list("public_id", flat=True)[: AUDIT_MAX_IDS + 1])
    count = len(ids) if len(ids) <= AUDIT_MAX_IDS else conversations.order_by().count()
    record(
        actor=user,
        action=f"review.export_{export_format}",
        summary=f"Exported {count} conversation{'' if count == 1 else 's'} as {chosen.name}",
        details={
            "format": export_format,
            "conversations": count,
            **selection,
            "conversation_ids": [str(public_id) for public_id in ids[:AUDIT_MAX_IDS]],
            "ids_truncated": len(ids) > AUDIT_MAX_IDS,
        },
    )
    lines = chosen.lines(conversations)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{'training' if export_format == 'training' else 'transcripts'}-{stamp}.{chosen.extension}"
    return ExportResponse(lines, filename=filename, content_type=chosen.content_type)
