"""The sample data set we ship: the demo model trains on it right after install, so it must be clean.

Reads the JSONL with the standard library only, independently of `inference.data`, so a bug in the
reader cannot hide a bug in the data (or the other way round).
"""

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "inference" / "sample_data" / "shop_support.jsonl"

REQUIRED_KEYS = {"context", "response", "intent"}
ROLES = {"customer", "bot", "staff"}
ALLOWED_PLACEHOLDERS = {
    "Order Number",
    "Company Name",
    "Website URL",
    "Customer Support Phone Number",
    "Customer Support Email",
    "Customer Support Hours",
    "Customer Name",
    "Order Status",
    "Refund Amount",
    "Invoice Number",
    "Account Settings",
}
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z]+)*$")


def read_rows(path: Path) -> list[tuple[int, object]]:
    """Every line as (line number, parsed JSON); a line that is not JSON fails with its number."""
    rows = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            rows.append((line_number, json.loads(line)))
        except json.JSONDecodeError as error:
            pytest.fail(f"line {line_number}: not valid JSON ({error})")
    return rows


@pytest.fixture(scope="module")
def rows() -> list[tuple[int, dict]]:
    return read_rows(SAMPLE_DATA)


def texts_of(row: dict) -> list[str]:
    return [turn["text"] for turn in row["context"]] + [row["response"]]


def test_every_line_is_an_object_with_exactly_the_required_keys(rows):
    for line_number, row in rows:
        assert isinstance(row, dict), f"line {line_number}: not a JSON object"
        assert set(row) == REQUIRED_KEYS, f"line {line_number}: keys {sorted(row)}"
        assert isinstance(row["response"], str), f"line {line_number}: response is not a string"
        assert isinstance(row["intent"], str), f"line {line_number}: intent is not a string"
        assert isinstance(row["context"], list), f"line {line_number}: context is not a list"


def test_context_turns_have_a_valid_role_and_end_with_the_customer(rows):
    for line_number, row in rows:
        assert row["context"], f"line {line_number}: empty context"
        for turn in row["context"]:
            assert set(turn) == {"role", "text"}, f"line {line_number}: turn keys {sorted(turn)}"
            assert turn["role"] in ROLES, f"line {line_number}: unknown role {turn['role']!r}"
        last_role = row["context"][-1]["role"]
        assert last_role == "customer", f"line {line_number}: the last turn is the {last_role}'s"


def test_no_text_is_empty_or_padded_with_whitespace(rows):
    for line_number, row in rows:
        for text in texts_of(row):
            assert text.strip(), f"line {line_number}: empty text"
            assert text == text.strip(), f"line {line_number}: leading or trailing whitespace in {text!r}"


def test_it_has_at_least_450_examples(rows):
    assert len(rows) >= 450


def test_it_covers_at_least_22_snake_case_intents_with_15_examples_each(rows):
    counts = Counter(row["intent"] for _, row in rows)
    assert len(counts) >= 22, sorted(counts)
    assert not [intent for intent in counts if not SNAKE_CASE.match(intent)]
    assert {intent: n for intent, n in counts.items() if n < 15} == {}


def test_the_intents_the_escalation_logic_keys_on_are_present(rows):
    intents = {row["intent"] for _, row in rows}
    assert {"contact_human_agent", "complaint"} <= intents


def test_only_the_allowed_placeholders_are_used(rows):
    for line_number, row in rows:
        for text in texts_of(row):
            names = set(PLACEHOLDER.findall(text))
            unknown = names - ALLOWED_PLACEHOLDERS
            assert not unknown, f"line {line_number}: unknown placeholders {sorted(unknown)}"
            # A lone or misspelt brace would become a garbage piece in the tokenizer.
            leftover = PLACEHOLDER.sub("", text)
            assert "{" not in leftover and "}" not in leftover, f"line {line_number}: stray brace in {text!r}"


def test_placeholders_appear_only_in_responses(rows):
    # Conversation history holds what the customer saw, with the slots already filled.
    for line_number, row in rows:
        for turn in row["context"]:
            assert not PLACEHOLDER.search(turn["text"]), f"line {line_number}: placeholder in context"


def test_no_context_and_response_pair_appears_twice(rows):
    seen: dict[str, int] = {}
    for line_number, row in rows:
        key = json.dumps([row["context"], row["response"]], sort_keys=True)
        assert key not in seen, f"line {line_number} repeats line {seen[key]}"
        seen[key] = line_number


def test_at_least_30_examples_need_the_earlier_turns(rows):
    multi_turn = [row for _, row in rows if len(row["context"]) >= 3]
    assert len(multi_turn) >= 30
    for row in multi_turn:
        assert {turn["role"] for turn in row["context"][:-1]} & {"bot", "staff"}


def test_each_intent_has_two_to_four_reply_variants_spread_evenly(rows):
    uses_by_intent: dict[str, Counter] = defaultdict(Counter)
    for _, row in rows:
        uses_by_intent[row["intent"]][row["response"]] += 1
    for intent, uses in uses_by_intent.items():
        assert 2 <= len(uses) <= 4, f"{intent}: {len(uses)} reply variants"
        most, least = max(uses.values()), min(uses.values())
        assert most <= 2 * least, f"{intent}: reply variants used between {least} and {most} times"
