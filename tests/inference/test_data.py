"""Data readers reject bad rows with their number and reason; dedup and the split are deterministic."""

import csv
import json

import pytest

from inference.data import (
    DataError,
    Example,
    Turn,
    deduplicate,
    load_split,
    read_bitext_csv,
    read_examples,
    read_jsonl,
    split_train_dev,
)

BITEXT_HEADER = ["flags", "instruction", "category", "intent", "response"]


def write_bitext(path, rows, header=BITEXT_HEADER):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", "utf-8")
    return path


def make_example(message: str, intent: str = "track_order", response: str = "It is on its way.") -> Example:
    return Example(context=(Turn("customer", message),), response=response, intent=intent, origin="test")


def test_it_reads_bitext_rows_as_single_turn_examples(tmp_path):
    path = write_bitext(
        tmp_path / "support.csv",
        [
            ["B", "where is my order 42?", "ORDER", "track_order", "Order {{Order Number}}:\nshipped."],
            ["Q", "cancel pls", "ORDER", "cancel_order", "Done."],
        ],
    )
    examples = read_examples(path)
    assert [e.intent for e in examples] == ["track_order", "cancel_order"]
    assert examples[0].context == (Turn("customer", "where is my order 42?"),)
    assert examples[0].response == "Order {{Order Number}}:\nshipped."
    assert examples[0].message == "where is my order 42?"


def test_it_rejects_a_bitext_row_with_an_empty_response_naming_the_row(tmp_path):
    path = write_bitext(
        tmp_path / "bad.csv",
        [["B", "hello", "ORDER", "greeting", "Hi!"], ["B", "refund?", "REFUND", "get_refund", "  "]],
    )
    with pytest.raises(DataError, match=r"row 2 .*empty 'response'"):
        read_bitext_csv(path)


def test_it_rejects_a_bitext_file_without_the_needed_columns(tmp_path):
    path = write_bitext(tmp_path / "bad.csv", [["hello", "Hi"]], header=["instruction", "response"])
    with pytest.raises(DataError, match=r"missing columns \['intent'\]"):
        read_bitext_csv(path)


def test_it_reads_multi_turn_jsonl_and_skips_blank_lines(tmp_path):
    record = {
        "context": [
            {"role": "customer", "text": "my parcel is late"},
            {"role": "bot", "text": "Sorry! What is the order number?"},
            {"role": "customer", "text": "NW-1234"},
        ],
        "response": "Thanks, order {{Order Number}} leaves today.",
        "intent": "track_order",
    }
    path = write_jsonl(tmp_path / "shop.jsonl", [record, "", record | {"intent": "delivery_period"}])
    examples = read_jsonl(path)
    assert len(examples) == 2
    assert [turn.role for turn in examples[0].context] == ["customer", "bot", "customer"]
    assert examples[0].message == "NW-1234"
    assert examples[1].origin == "shop.jsonl:3"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"context": [], "response": "x", "intent": "y"}', "'context' must be a non-empty list"),
        (
            '{"context": [{"role": "admin", "text": "hi"}], "response": "x", "intent": "y"}',
            r"context\[0\]\.role",
        ),
        ('{"context": [{"role": "customer", "text": " "}], "response": "x", "intent": "y"}', "text must be"),
        ('{"context": [{"role": "customer", "text": "hi"}], "response": "", "intent": "y"}', "'response'"),
        ('{"context": [{"role": "customer", "text": "hi"}], "response": "x"}', "'intent'"),
    ],
)
def test_it_rejects_a_malformed_jsonl_line_naming_the_line_and_reason(tmp_path, line, reason):
    good = '{"context": [{"role": "customer", "text": "hi"}], "response": "Hello!", "intent": "greeting"}'
    path = write_jsonl(tmp_path / "shop.jsonl", [good, good, line])
    with pytest.raises(DataError, match=rf"line 3: .*{reason}"):
        read_jsonl(path)


def test_it_refuses_unknown_file_formats(tmp_path):
    with pytest.raises(DataError, match="unknown data format"):
        read_examples(tmp_path / "data.xlsx")


def test_deduplication_ignores_case_and_spacing_and_keeps_the_first():
    first = make_example("Where is my order?")
    examples = [
        first,
        make_example("where  is my ORDER?"),
        make_example("where is my order?", response="Other."),
    ]
    assert deduplicate(examples) == [first, examples[2]]


def test_the_split_is_deterministic_and_stable_when_data_grows():
    examples = [make_example(f"message {i}", intent=f"intent_{i % 5}") for i in range(400)]
    train, dev = split_train_dev(examples, dev_fraction=0.1)
    again_train, again_dev = split_train_dev(list(examples), dev_fraction=0.1)
    assert (train, dev) == (again_train, again_dev)
    assert 20 <= len(dev) <= 60
    more = examples + [make_example(f"new message {i}") for i in range(100)]
    _, dev_after_growth = split_train_dev(more, dev_fraction=0.1)
    assert set(dev) <= set(dev_after_growth)


def test_identical_messages_never_straddle_train_and_dev():
    examples = [make_example(f"message {i}", response=f"reply {r}") for i in range(100) for r in range(3)]
    train, dev = split_train_dev(examples, dev_fraction=0.2)
    assert not {e.message for e in train} & {e.message for e in dev}


def test_every_intent_is_present_in_train():
    examples = [make_example(f"common {i}", intent="common") for i in range(50)]
    examples += [make_example(f"rare {i}", intent=f"rare_{i}") for i in range(30)]
    train, dev = split_train_dev(examples, dev_fraction=0.5)
    assert {e.intent for e in train} == {e.intent for e in examples}
    assert len(train) + len(dev) == len(examples)


def test_load_split_deduplicates_across_files(tmp_path):
    row = ["B", "where is my order?", "ORDER", "track_order", "On its way."]
    first = write_bitext(tmp_path / "a.csv", [row])
    second = write_bitext(tmp_path / "b.csv", [row, ["B", "refund", "REFUND", "get_refund", "Sure."]])
    train, dev = load_split([first, second], dev_fraction=0.0)
    assert (len(train), len(dev)) == (2, 0)
