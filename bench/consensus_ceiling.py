"""How far can choosing among the model's own replies go? Greedy vs consensus vs the best candidate.

    python -m bench.consensus_ceiling --model var/models/bitext/<version> \\
        --data ../shared/data/bitext/customer_support.csv --samples 16 --temperature 1.0 --limit 120

For each dev example: the greedy reply and `--samples` sampled ones; prints corpus chrF and BLEU of the
greedy replies, of the consensus choice (inference/consensus.py) among the greedy reply and the first 4, 8,
16 ... samples (how the gain grows with the compute spent), and of the candidate closest to the reference
(an oracle no server can run: it bounds what any choice among these candidates can reach).
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace

import sacrebleu
from sacrebleu.metrics import CHRF

from inference.consensus import consensus_index
from inference.data import load_split
from inference.evaluate import resolve_model_dir
from inference.generate import generate
from inference.serving import ReplyEngine


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", action="append", required=True)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--limit", type=int, default=120, help="first N dev examples")
    args = parser.parse_args()

    engine = ReplyEngine.load(resolve_model_dir(args.model))
    _, dev = load_split(args.data, dev_fraction=0.1)
    dev = dev[: args.limit]
    greedy_settings = engine.settings.generation
    sampling = replace(greedy_settings, strategy="sample", temperature=args.temperature, top_p=args.top_p)
    chrf = CHRF()
    pool_sizes = [size for size in (4, 8, 16, 32, 64) if size < args.samples] + [args.samples]
    chosen: dict[str, list[str]] = {"greedy": []}
    chosen.update({f"consensus of 1 + {size}": [] for size in pool_sizes})
    chosen["best candidate (oracle)"] = []
    for index, example in enumerate(dev):
        source = engine.render(example.context)
        candidates = generate(engine.model, [source], greedy_settings)
        candidates += generate(engine.model, [source] * args.samples, replace(sampling, seed=index))
        texts = [engine.tokenizer.decode(candidate.token_ids) for candidate in candidates]
        chosen["greedy"].append(texts[0])
        for size in pool_sizes:
            pool = texts[: 1 + size]
            chosen[f"consensus of 1 + {size}"].append(pool[consensus_index(pool)])
        chosen["best candidate (oracle)"].append(
            max(texts, key=lambda text: chrf.sentence_score(text, [example.response]).score)
        )
    references = [example.response for example in dev]
    print(
        f"{len(dev)} dev examples, greedy + {args.samples} samples at temperature {args.temperature},"
        f" top-p {args.top_p}"
    )
    print(f"{'':26}{'chrF':>8}{'BLEU':>8}{'mean chars':>12}")
    for name, texts in chosen.items():
        chrf_score = sacrebleu.corpus_chrf(texts, [references]).score
        bleu = sacrebleu.corpus_bleu(texts, [references]).score
        print(f"{name:26}{chrf_score:8.1f}{bleu:8.1f}{statistics.mean(map(len, texts)):12.0f}")
    print(f"{'references':26}{'':16}{statistics.mean(map(len, references)):12.0f}")


if __name__ == "__main__":
    main()
