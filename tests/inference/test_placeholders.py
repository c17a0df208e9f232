"""Placeholders are filled from slots, or rewritten into natural phrases; never shown raw, even mid-stream."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.data import Turn
from inference.placeholders import (
    DEFAULT_BUSINESS_PROFILE,
    PLACEHOLDER,
    StreamingFiller,
    extract_entities,
    fallback_phrase,
    fill_placeholders,
    slot_key,
)


def test_slot_keys_unify_spellings_and_bitext_variants():
    assert slot_key("{{Order Number}}") == slot_key("order_number") == "order_number"
    assert slot_key("Purchase ID Anonymized") == "order_number"
    assert slot_key("Customer Support Availability") == "customer_support_hours"
    assert slot_key("Customer Service Phone Number") == "customer_support_phone_number"


def test_it_fills_placeholders_from_slots_given_in_any_spelling():
    text = "Call {{Customer Support Phone Number}} about order {{Purchase ID Anonymized}}."
    slots = {"customer_support_phone_number": "+1 555 0100", "Order Number": "NW-77"}
    assert fill_placeholders(text, slots) == "Call +1 555 0100 about order NW-77."


@pytest.mark.parametrize(
    ("placeholder", "phrase"),
    [
        ("{{Order Number}}", "your order number"),
        ("{{Order ID Anonymized}}", "your order number"),
        ("{{Customer Support Email}}", "our customer support email address"),
        ("{{Website URL}}", "our website"),
        ("{{Refund Amount}}", "the refund amount"),
        ("{{Delivery Date}}", "your delivery date"),  # generic rule: a value of the customer's
        ("{{Returns Hotline Phone}}", "our returns hotline phone"),  # generic rule: our contact detail
        ("{{Order History}}", "Order History"),  # generic rule: a page or button keeps its label
        ("{{113542617735902}}", "113542617735902"),
    ],
)
def test_an_unfillable_slot_becomes_a_natural_phrase(placeholder, phrase):
    assert fallback_phrase(placeholder) == phrase
    assert fill_placeholders(f"See {placeholder}.", {}) == f"See {phrase}."


def test_empty_slot_values_fall_back_instead_of_printing_nothing():
    assert fill_placeholders("Order {{Order Number}}", {"order_number": "  "}) == "Order your order number"


def test_the_default_profile_fills_every_contact_placeholder():
    text = "{{Company Name}}: {{Website URL}}, {{Customer Support Phone Number}}, {{Customer Support Hours}}"
    filled = fill_placeholders(text, DEFAULT_BUSINESS_PROFILE)
    assert filled.startswith("Northwind Outfitters: https://")
    assert not PLACEHOLDER.search(filled)


def test_it_extracts_the_order_number_the_customer_typed_newest_first():
    turns = [
        Turn("customer", "my order #10234 is late"),
        Turn("bot", "Is it order 99999?"),  # the bot's words are not the customer's facts
        Turn("customer", "sorry, it is order number NW-55321. mail me at ann@example.org"),
    ]
    assert extract_entities(turns) == {"order_number": "NW-55321", "customer_email": "ann@example.org"}


def test_streaming_fills_a_placeholder_split_across_deltas():
    filler = StreamingFiller({"order_number": "NW-1"})
    deltas = [filler.feed(part) for part in ["Order {", "{Order Num", "ber}} is ", "late {", "x"]]
    deltas.append(filler.finish())
    assert deltas == ["Order ", "", "NW-1 is ", "late ", "x", ""]


def test_text_after_a_brace_that_never_closes_is_released_at_the_end_without_braces():
    filler = StreamingFiller({})
    assert filler.feed("a {{not closed") == "a "
    assert filler.finish() == "not closed"


def test_braces_around_a_filled_value_cannot_form_a_new_placeholder():
    assert fill_placeholders("{{{{Order Number}}}} and {x}", {"order_number": "42"}) == "42 and x"


def test_a_placeholder_never_spans_a_line_break_whole_or_streamed():
    text = "{{Order Number\n}}"
    filler = StreamingFiller({"order_number": "42"})
    streamed = "".join(filler.feed(piece) for piece in ["{{", "Order Number", "\n", "}}"]) + filler.finish()
    assert streamed == fill_placeholders(text, {"order_number": "42"}) == "Order Number\n"


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(
            ["{", "}", "{{", "}}", "Order Number", " ", "ok", "\n", "{{Order Number}}", "x{{y}}"]
        ),
        max_size=25,
    ),
    data=st.data(),
)
def test_streamed_filling_equals_filling_the_whole_text(pieces, data):
    text = "".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=6)))
    parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    filler = StreamingFiller({"order_number": "42"})
    streamed = "".join(filler.feed(part) for part in parts) + filler.finish()
    assert streamed == fill_placeholders(text, {"order_number": "42"})
    assert "{" not in streamed and "}" not in streamed
