"""Evaluate a model version against both baselines: `python -m inference.evaluate --model DIR --data PATH`.

On the same deterministic dev split the model was trained with: intent accuracy and macro-F1; chrF, BLEU
(sacrebleu) and ROUGE-L of the raw replies against the raw references (placeholders unfilled on both
sides); judged-from-reply agreement (does a TF-IDF classifier trained on the training replies read the
reply as the gold intent?); the share of replies that would show the customer a raw `{{placeholder}}`
after filling with the default business profile; latency percentiles of single requests.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import sacrebleu
from sklearn.metrics import f1_score

from inference import versions
from inference.baselines import ReplyJudge, RetrievalBaseline, TwoStageBaseline
from inference.data import Example, load_split
from inference.generate import GenerationSettings
from inference.placeholders import DEFAULT_BUSINESS_PROFILE, PLACEHOLDER, extract_entities, fill_placeholders
from inference.serving import ReplyEngine, ServingSettings

_ROUGE_TOKEN = re.compile(r"\w+|[^\w\s]")


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F1 over lowercased word and punctuation tokens: 2PR / (P + R) of their longest common
    subsequence (Lin 2004, with beta = 1)."""
    hyp, ref = _ROUGE_TOKEN.findall(hypothesis.lower()), _ROUGE_TOKEN.findall(reference.lower())
    if not hyp or not ref:
        return float(hyp == ref)
    previous = [0] * (len(ref) + 1)
    for token in hyp:  # dynamic programme over prefixes, one row at a time
        current = [0]
        for index, ref_token in enumerate(ref):
            current.append(
                previous[index] + 1 if token == ref_token else max(previous[index + 1], current[-1])
            )
        previous = current
    common = previous[-1]
    if common == 0:
        return 0.0
    precision, recall = common / len(hyp), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def text_metrics(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Corpus chrF and BLEU (0-100, sacrebleu defaults) and mean sentence ROUGE-L (0-1)."""
    return {
        "chrf": sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score,
        "bleu": sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score,
        "rouge_l": sum(map(rouge_l, hypotheses, references)) / max(len(references), 1),
    }


def intent_metrics(predicted: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 over the gold intents."""
    labels = sorted(set(gold))
    accuracy = sum(p == g for p, g in zip(predicted, gold, strict=True)) / max(len(gold), 1)
    macro_f1 = f1_score(list(gold), list(predicted), labels=labels, average="macro", zero_division=0)
    return {"intent_accuracy": accuracy, "intent_macro_f1": float(macro_f1)}


def shows_raw_placeholder(text: str) -> bool:
    return bool(PLACEHOLDER.search(text)) or "{{" in text or "}}" in text


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (share in [0, 1]); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(share * len(ordered) - 1e-9)  # the tolerance absorbs 0.95 * 20 = 19.000000000000004
    return ordered[min(len(ordered), max(rank, 1)) - 1]


def system_report(
    *,
    raw_replies: Sequence[str],
    shown_replies: Sequence[str],
    intents: Sequence[str],
    dev: Sequence[Example],
    judge: ReplyJudge,
) -> dict[str, float]:
    gold = [example.intent for example in dev]
    judged = judge.predict(raw_replies)
    return {
        **intent_metrics(intents, gold),
        **text_metrics(raw_replies, [example.response for example in dev]),
        "judged_agreement": sum(j == g for j, g in zip(judged, gold, strict=True)) / max(len(gold), 1),
        "raw_placeholder_rate": sum(map(shows_raw_placeholder, shown_replies)) / max(len(gold), 1),
    }


def evaluate_model(
    engine: ReplyEngine, dev: Sequence[Example], *, batch_size: int, latency_samples: int
) -> tuple[list[str], list[str], list[str], dict[str, float | None]]:
    """Raw replies, shown replies and intents for `dev` (batched), then latency of single requests."""
    raw, shown, intents = [], [], []
    for start in range(0, len(dev), batch_size):
        chunk = dev[start : start + batch_size]
        replies = engine.reply_batch(
            [example.context for example in chunk], slots=[DEFAULT_BUSINESS_PROFILE] * len(chunk)
        )
        raw += [reply.raw_text for reply in replies]
        shown += [reply.text for reply in replies]
        intents += [reply.intent for reply in replies]
    first_token, whole = [], []
    for example in dev[:latency_samples]:
        reply = engine.reply(example.context, slots=DEFAULT_BUSINESS_PROFILE)
        first_token.append(reply.first_token_seconds)
        whole.append(reply.total_seconds)
    latency = {
        "latency_samples": len(whole),
        "first_token_p50_s": percentile(first_token, 0.5),
        "first_token_p95_s": percentile(first_token, 0.95),
        "reply_p50_s": percentile(whole, 0.5),
        "reply_p95_s": percentile(whole, 0.95),
    }
    return raw, shown, intents, latency


def resolve_model_dir(path: Path | str) -> Path:
    """A complete version directory, or the newest complete one under a model root."""
    path = Path(path)
    if versions.is_complete(path):
        return path
    latest = versions.latest_version(path)
    if latest is None:
        raise FileNotFoundError(f"{path} is neither a complete model version nor a root holding one")
    return latest


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m inference.evaluate", description=__doc__)
    parser.add_argument("--model", required=True, help="a version directory or a model root (newest)")
    parser.add_argument("--data", action="append", required=True, help="the files the model was trained on")
    parser.add_argument("--limit", type=int, default=None, help="evaluate the first N dev examples only")
    parser.add_argument("--output", default=None, help="write the JSON report here")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--latency-samples", type=int, default=20, help="single requests timed")
    parser.add_argument("--strategy", default="greedy", choices=("greedy", "beam"))
    parser.add_argument("--num-beams", type=int, default=4)
    parser.add_argument("--no-repeat-ngram-size", type=int, default=0)
    parser.add_argument(
        "--consensus-samples",
        type=int,
        default=0,
        help="consensus decoding: sampled candidates, and as many evidence replies (0 = off)",
    )
    defaults = ServingSettings()
    parser.add_argument("--consensus-temperature", type=float, default=defaults.consensus_temperature)
    parser.add_argument("--consensus-eos-penalty", type=float, default=defaults.consensus_eos_penalty)
    parser.add_argument(
        "--consensus-evidence-temperature", type=float, default=defaults.consensus_evidence_temperature
    )
    parser.add_argument("--seed", type=int, default=1337, help="for sampled candidates")
    parser.add_argument("--device", default=None)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict:
    """Command-line entry point; also what the Django `evaluate_model` command calls. Returns the report."""
    args = parse_args(argv)
    started = time.perf_counter()
    model_dir = resolve_model_dir(args.model)
    data_info = json.loads((model_dir / versions.DATA_FILE).read_text(encoding="utf-8"))
    train, dev = load_split(args.data, dev_fraction=data_info.get("dev_fraction", 0.1))
    dev = dev[: args.limit] if args.limit is not None else dev
    if not dev:
        raise ValueError("the dev split is empty: nothing to evaluate")
    engine = ReplyEngine.load(model_dir, device=args.device)
    generation = GenerationSettings(
        max_new_tokens=engine.settings.generation.max_new_tokens,
        strategy=args.strategy,
        num_beams=args.num_beams,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
        seed=args.seed,
    )
    engine.settings = ServingSettings(
        generation=generation,
        max_turns=engine.settings.max_turns,
        consensus_samples=args.consensus_samples,
        consensus_temperature=args.consensus_temperature,
        consensus_eos_penalty=args.consensus_eos_penalty,
        consensus_evidence_temperature=args.consensus_evidence_temperature,
    )

    judge = ReplyJudge(train)
    raw, shown, intents, latency = evaluate_model(
        engine, dev, batch_size=args.batch_size, latency_samples=args.latency_samples
    )
    systems = {
        "model": {
            **system_report(raw_replies=raw, shown_replies=shown, intents=intents, dev=dev, judge=judge),
            **latency,
        }
    }
    messages = [example.message for example in dev]
    for baseline in (RetrievalBaseline(train), TwoStageBaseline(train)):
        replies = baseline.predict(messages)
        raw_texts = [reply.text for reply in replies]
        shown_texts = [
            fill_placeholders(reply.text, {**DEFAULT_BUSINESS_PROFILE, **extract_entities(example.context)})
            for reply, example in zip(replies, dev, strict=True)
        ]
        systems[baseline.name] = system_report(
            raw_replies=raw_texts,
            shown_replies=shown_texts,
            intents=[r.intent for r in replies],
            dev=dev,
            judge=judge,
        )
    report = {
        "model_version": model_dir.name,
        "data": [Path(path).name for path in args.data],
        "train_examples": len(train),
        "dev_examples": len(dev),
        "generation": {
            "strategy": args.strategy,
            "num_beams": args.num_beams,
            "no_repeat_ngram_size": args.no_repeat_ngram_size,
            "consensus_samples": args.consensus_samples,
            "consensus_temperature": args.consensus_temperature,
            "consensus_eos_penalty": args.consensus_eos_penalty,
            "consensus_evidence_temperature": args.consensus_evidence_temperature,
            "max_new_tokens": generation.max_new_tokens,
        },
        "systems": systems,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(format_table(report))
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def format_table(report: dict) -> str:
    systems = report["systems"]
    names = list(systems)
    metrics = [key for key in systems["model"] if any(key in systems[name] for name in names)]
    lines = [
        f"{report['model_version']} on {report['dev_examples']} dev examples",
        f"{'metric':<22}" + "".join(f"{name:>12}" for name in names),
    ]
    for metric in metrics:
        cells = []
        for name in names:
            value = systems[name].get(metric)
            cells.append(
                f"{'-':>12}"
                if value is None
                else f"{value:>12.3f}"
                if isinstance(value, float)
                else f"{value:>12}"
            )
        lines.append(f"{metric:<22}" + "".join(cells))
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
