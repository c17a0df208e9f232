"""The subject-access export: everything stored about customers, as one JSON document.

{"format": "chatbot.customer-data", "version": 1, "exported": "<ISO time>",
 "customers": [{"customer": {...}, "account": {...} | null, "records": {"<app>.<model>": [{...}, ...]}}]}

`records` holds every row that exists because of the customer (selectors.dependent_rows: their
conversations, messages, escalations, support events, notes, suggested replies, ratings, annotations,
and whatever table a later feature hangs off them), each as its fields with `id`; references to other
rows are their ids. `account` is the login linked to the customer, without its password hash.
"""

import json
from datetime import datetime
from typing import Any

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder

from chatbot.conversations.models import Customer
from chatbot.privacy import selectors

FORMAT = "chatbot.customer-data"
VERSION = 1
ACCOUNT_FIELDS = ("username", "email", "first_name", "last_name", "date_joined", "last_login", "is_active")


def customer_document(customers: list[Customer], *, exported: datetime) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported": exported,
        "customers": [customer_section(customer) for customer in customers],
    }


def customer_section(customer: Customer) -> dict[str, Any]:
    rows = selectors.dependent_rows([customer])
    records = {
        model._meta.label_lower: _as_dicts(instances)
        for model, instances in sorted(rows.items(), key=lambda item: item[0]._meta.label_lower)
        if model is not Customer
    }
    return {"customer": _as_dicts([customer])[0], "account": _account(customer), "records": records}


def row_counts(document: dict[str, Any]) -> dict[str, int]:
    """Rows per table in a document, all customers together (for the audit log)."""
    counts: dict[str, int] = {}
    for section in document["customers"]:
        for label, rows in section["records"].items():
            counts[label] = counts.get(label, 0) + len(rows)
    return counts


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def _as_dicts(instances: list[Any]) -> list[dict[str, Any]]:
    return [{"id": row["pk"], **row["fields"]} for row in serializers.serialize("python", instances)]


def _account(customer: Customer) -> dict[str, Any] | None:
    if customer.user is None:
        return None
    return {field: getattr(customer.user, field) for field in ACCOUNT_FIELDS}
