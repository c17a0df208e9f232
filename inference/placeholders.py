"""Filling `{{Placeholder}}` slots in generated replies, as they stream.

The model writes replies with placeholders (`{{Order Number}}`, `{{Customer Support Phone Number}}`). Serving
fills each one from the slots it has: the business profile, the customer profile and entities found in the
conversation (an order number the customer typed). A slot it cannot fill is never shown raw: it becomes a
natural phrase ("your order number"), from a table or from a generic rule on the name.

Slot keys are normalised names: "Order Number", "order_number" and "{{Order Number}}" are the same key,
and the Bitext spelling variants map onto one canonical key each (see SLOT_ALIASES).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

PLACEHOLDER = re.compile(r"\{\{[ \t]*([^{}\n]{1,80}?)[ \t]*\}\}")  # never across a line break
_LONGEST_PLACEHOLDER = 84  # "{{" + 80 + "}}": an opened brace held longer than this is plain text

# Canonical slot keys and the placeholder names the data uses for them.
SLOT_ALIASES: dict[str, tuple[str, ...]] = {
    "company_name": ("company", "shop_name", "store_name"),
    "website_name": ("website", "website_or_app", "app", "online_store"),
    "website_url": ("url", "website_address", "site_url"),
    "customer_support_phone_number": (
        "support_phone_number",
        "customer_service_phone_number",
        "customer_support_number",
        "phone_number_of_customer_support",
        "support_phone",
    ),
    "customer_support_email": ("customer_support_email_address", "support_email", "customer_service_email"),
    "customer_support_hours": (
        "customer_support_availability",
        "customer_service_hours",
        "customer_service_availability",
        "support_hours",
        "working_hours",
        "business_hours",
        "opening_hours",
    ),
    "live_chat": ("live_chat_support", "chat"),
    "order_number": (
        "order_id",
        "purchase_number",
        "purchase_id",
        "order_number_anonymized",
        "order_id_anonymized",
        "purchase_id_anonymized",
        "purchase_number_anonymized",
    ),
    "invoice_number": (
        "invoice_id",
        "bill_number",
        "bill_id",
        "invoice_number_anonymized",
        "bill_number_anonymized",
    ),
    "customer_name": ("name", "client_name", "first_name"),
    "customer_email": ("email_address_of_customer", "your_email"),
}
_ALIAS_TO_KEY = {alias: key for key, aliases in SLOT_ALIASES.items() for alias in (key, *aliases)}

# What the customer reads when a slot has no value: a phrase that keeps the sentence readable.
FALLBACK_PHRASES: dict[str, str] = {
    "company_name": "our shop",
    "website_name": "our website",
    "website_url": "our website",
    "customer_support_phone_number": "our customer support phone line",
    "customer_support_email": "our customer support email address",
    "customer_support_hours": "during our support hours",
    "live_chat": "the live chat",
    "order_number": "your order number",
    "invoice_number": "your invoice number",
    "customer_name": "valued customer",
    "customer_email": "your email address",
    "refund_amount": "the refund amount",
    "order_status": "listed under Order Status in your account",
}

# The fictional shop of our sample data: what evaluation fills with, and a starting point for a deployment.
DEFAULT_BUSINESS_PROFILE: dict[str, str] = {
    "company_name": "Northwind Outfitters",
    "website_name": "northwind-outfitters.example",
    "website_url": "https://northwind-outfitters.example",
    "customer_support_phone_number": "+1 555 0100",
    "customer_support_email": "support@northwind-outfitters.example",
    "customer_support_hours": "Monday to Friday, 9:00 to 18:00",
    "live_chat": "live chat",
}

_CUSTOMER_VALUE_WORDS = re.compile(r"\b(number|id|amount|date|name|code|status)\b")
_CONTACT_WORDS = re.compile(r"\b(phone|email|e-mail|url|hours|availability)\b")


class TurnLike(Protocol):
    role: str
    text: str


def slot_key(name: str) -> str:
    """Canonical key of a placeholder or slot name: "{{Purchase ID Anonymized}}" -> "order_number"."""
    plain = re.sub(r"[^a-z0-9]+", "_", name.strip("{} ").casefold()).strip("_")
    if plain in _ALIAS_TO_KEY:
        return _ALIAS_TO_KEY[plain]
    without_suffix = re.sub(r"_anonymized$", "", plain)
    return _ALIAS_TO_KEY.get(without_suffix, without_suffix)


def normalise_slots(slots: Mapping[str, str] | None) -> dict[str, str]:
    """Slots keyed canonically; empty values are dropped (an empty value would print as nothing)."""
    return {slot_key(name): str(value) for name, value in (slots or {}).items() if str(value).strip()}


def fallback_phrase(name: str) -> str:
    """A readable stand-in for a placeholder without a value; never contains braces."""
    key = slot_key(name)
    if key in FALLBACK_PHRASES:
        return FALLBACK_PHRASES[key]
    words = re.sub(r"\s*\bAnonymized\b", "", name.strip("{} ")).strip() or "the details"
    words = words.replace("{", "").replace("}", "")
    if words.isdigit():  # Bitext sometimes writes the value itself: {{113542617735902}}
        return words
    lowered = words.casefold()
    if _CUSTOMER_VALUE_WORDS.search(lowered):
        return f"your {lowered}"
    if _CONTACT_WORDS.search(lowered):
        return f"our {lowered}"
    return words  # a page or button name ("Order History", "Cancel Order") reads fine as itself


def fill_placeholders(text: str, slots: Mapping[str, str] | None = None) -> str:
    """Every placeholder in `text` replaced by its slot value or its fallback phrase; stray braces around
    them are dropped, so no brace pair (like "{{" + value + "}}") can survive to look like a placeholder."""
    values = normalise_slots(slots)
    parts, end = [], 0
    for match in PLACEHOLDER.finditer(text):
        parts += [_strip_braces(text[end : match.start()]), _value_for(match.group(1), values)]
        end = match.end()
    parts.append(_strip_braces(text[end:]))
    return "".join(parts)


def _strip_braces(text: str) -> str:
    # Support replies never need curly braces; outside a placeholder they are generation noise.
    return text.replace("{", "").replace("}", "")


def _value_for(name: str, values: Mapping[str, str]) -> str:
    return values.get(slot_key(name)) or fallback_phrase(name)


_ORDER_NUMBER = re.compile(
    r"(?:order|purchase|package|parcel|#)\s*(?:number|no\.?|id|#)?\s*[:#]?\s*([A-Z]{0,4}-?\d{4,20})\b",
    re.IGNORECASE,
)
_INVOICE_NUMBER = re.compile(
    r"(?:invoice|bill)\s*(?:number|no\.?|id|#)?\s*[:#]?\s*([A-Z]{0,4}-?\d{3,20})\b", re.IGNORECASE
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def extract_entities(turns: Sequence[TurnLike]) -> dict[str, str]:
    """Slot values the customer typed (order and invoice numbers, email); the newest mention wins."""
    found: dict[str, str] = {}
    for turn in turns:
        if turn.role != "customer":
            continue
        for key, pattern in (("order_number", _ORDER_NUMBER), ("invoice_number", _INVOICE_NUMBER)):
            matches = pattern.findall(turn.text)
            if matches:
                found[key] = matches[-1]
        emails = _EMAIL.findall(turn.text)
        if emails:
            found["customer_email"] = emails[-1]
    return found


class StreamingFiller:
    """Fills placeholders in text that arrives in pieces, so streamed deltas never show `{{...}}`.

    Text is passed through at once except from an opening brace that may start a placeholder: that part
    waits until the placeholder closes (then it is filled) or clearly is not one (then the brace is dropped).
    The concatenation of everything `feed` and `finish` return equals `fill_placeholders(all text)`.
    """

    def __init__(self, slots: Mapping[str, str] | None = None) -> None:
        self._values = normalise_slots(slots)
        self._pending = ""

    def feed(self, delta: str) -> str:
        self._pending += delta
        output = []
        while self._pending:
            start = self._pending.find("{")
            if start < 0:
                output.append(_strip_braces(self._pending))
                self._pending = ""
                break
            output.append(_strip_braces(self._pending[:start]))
            self._pending = self._pending[start:]
            match = PLACEHOLDER.match(self._pending)
            if match:
                output.append(_value_for(match.group(1), self._values))
                self._pending = self._pending[match.end() :]
            elif self._could_still_become_placeholder(self._pending):
                break
            else:  # not the start of a placeholder: a stray brace, dropped
                self._pending = self._pending[1:]
        return "".join(output)

    def finish(self) -> str:
        rest, self._pending = self._pending, ""
        return fill_placeholders(rest, self._values)

    @staticmethod
    def _could_still_become_placeholder(text: str) -> bool:
        if text == "{":
            return True
        if not text.startswith("{{") or len(text) > _LONGEST_PLACEHOLDER:
            return False
        return "\n" not in text and "}}" not in text and "{" not in text[2:]
