"""Evaluation metrics on hand-made cases, and the evaluation command end to end on a tiny model."""

import json

import pytest

from inference.baselines import ReplyJudge, RetrievalBaseline, TwoStageBaseline, central_replies
from inference.data import Example, Turn
from inference.evaluate import (
    intent_metrics,
    main,
    percentile,
    rouge_l,
    shows_raw_placeholder,
    text_metrics,
)
from tests.inference.factories import SHOP_EXAMPLES, train_tiny, write_shop_jsonl


def make_examples():
    return [
        Example((Turn("customer", message),), response, intent, "test")
        for intent, (messages, response) in SHOP_EXAMPLES.items()
        for message in messages
    ]


def test_identical_texts_score_perfectly():
    references = ["Your order {{Order Number}} is on its way.", "Hello! How can I help?"]
    metrics = text_metrics(references, references)
    assert metrics["chrf"] == pytest.approx(100.0)
    assert metrics["bleu"] == pytest.approx(100.0)
    assert metrics["rouge_l"] == pytest.approx(1.0)


def test_rouge_l_is_the_f1_of_the_longest_common_subsequence():
    # LCS of "a b c d" and "a c d e f" is "a c d": precision 3/4, recall 3/5.
    assert rouge_l("a b c d", "a c d e f") == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert rouge_l("Refund, please", "refund , PLEASE") == pytest.approx(1.0)
    assert rouge_l("x y", "a b") == 0.0
    assert rouge_l("", "") == 1.0


def test_intent_metrics_on_a_hand_made_case():
    metrics = intent_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert metrics["intent_accuracy"] == 0.75
    # F1(a) = 2 * 0.5 * 1 / 1.5 = 2/3, F1(b) = 2 * 1 * 2/3 / (5/3) = 0.8
    assert metrics["intent_macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_raw_placeholders_and_stray_braces_count_as_shown():
    assert shows_raw_placeholder("Call {{Customer Support Phone Number}}")
    assert shows_raw_placeholder("broken {{ text")
    assert not shows_raw_placeholder("Call +1 555 0100.")


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 0.5) == 10.0
    assert percentile(values, 0.95) == 19.0
    assert percentile([], 0.5) is None


def test_baselines_answer_from_the_training_replies():
    train = make_examples()
    retrieval = RetrievalBaseline(train).predict(["where is my order please"])[0]
    assert retrieval.intent == "track_order"
    assert retrieval.text == SHOP_EXAMPLES["track_order"][1]
    assert TwoStageBaseline(train).predict(["refund please now"])[0].intent == "get_refund"
    assert central_replies(train)["greeting"] == SHOP_EXAMPLES["greeting"][1]


def test_the_judge_reads_the_intent_from_a_reply():
    judge = ReplyJudge(make_examples())
    assert judge.predict(["I have started your refund.", "Your order is on its way."]) == [
        "get_refund",
        "track_order",
    ]


def test_the_evaluation_command_reports_model_and_baselines(tmp_path, capsys):
    data = write_shop_jsonl(tmp_path / "shop.jsonl")
    train_tiny(data, tmp_path / "models", epochs=2, dev_fraction=0.3)
    output = tmp_path / "report.json"
    report = main(
        [
            "--model",
            str(tmp_path / "models"),
            "--data",
            str(data),
            "--limit",
            "3",
            "--latency-samples",
            "2",
            "--output",
            str(output),
        ]
    )
    assert set(report["systems"]) == {"model", "retrieval", "two_stage"}
    assert report["dev_examples"] == 3
    model = report["systems"]["model"]
    assert 0.0 <= model["intent_accuracy"] <= 1.0 and 0.0 <= model["chrf"] <= 100.0
    assert model["raw_placeholder_rate"] == 0.0
    assert model["latency_samples"] == 2 and model["reply_p95_s"] >= model["reply_p50_s"] > 0
    assert json.loads(output.read_text()) == report
    assert "retrieval" in capsys.readouterr().out
