"""How far can choosing among the model's own replies go? Greedy vs consensus vs the best candidate.

    python -m bench.consensus_ceiling --model var/models/bitext/<version> \\
        --data ../shared/data/bitext/customer_support.csv --samples 32 --limit 120

For each dev example, the pools consensus decoding draws (`ReplyEngine.consensus_pools`, the serving
settings: candidates at `--temperature`, half of them with `--eos-penalty`, evidence at
`--evidence-temperature`); prints corpus chrF and BLEU of the greedy replies, of the consensus choice
(inference/consensus.py) with 4, 8, 16 ... samples (the first ones of each set: how the gain grows with the
compute spent), and of the candidate closest to the reference (an oracle no server can run: it bounds what
any choice among these candidates can reach).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import replace

import sacrebleu
from sacrebleu.metrics import CHRF

from inference.consensus import consensus_index
from inference.data import load_split
from inference.evaluate import resolve_model_dir
from inference.serving import ReplyEngine, ServingSettings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = ServingSettings()
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", action="append", required=True)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--temperature", type=float, default=defaults.consensus_temperature)
    parser.add_argument("--eos-penalty", type=float, default=defaults.consensus_eos_penalty)
    parser.add_argument("--evidence-temperature", type=float, default=defaults.consensus_evidence_temperature)
    parser.add_argument("--limit", type=int, default=120, help="first N dev examples")
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)

    engine = ReplyEngine.load(resolve_model_dir(args.model))
    settings = ServingSettings(
        generation=engine.settings.generation,
        consensus_samples=args.samples,
        consensus_temperature=args.temperature,
        consensus_eos_penalty=args.eos_penalty,
        consensus_evidence_temperature=args.evidence_temperature,
    )
    _, dev = load_split(args.data, dev_fraction=0.1)
    dev = dev[: args.limit]
    if not dev:
        parser.error(f"no dev examples in {', '.join(args.data)} (the split keeps a tenth of them)")
    chrf = CHRF()
    pool_sizes = [size for size in (4, 8, 16, 32, 64) if size < args.samples] + [args.samples]
    chosen: dict[str, list[str]] = {"greedy": []}
    chosen.update({f"consensus of {size}": [] for size in pool_sizes})
    chosen["best candidate (oracle)"] = []
    for index, example in enumerate(dev):
        # Each example its own seed (each pool draws three sets from seed, seed + 1 and seed + 2).
        engine.settings = replace(
            settings, generation=replace(settings.generation, seed=args.seed + 3 * index)
        )
        pool = engine.consensus_pools([engine.render(example.context)])[0]
        greedy, plain, lengthened, evidence = (
            [engine.tokenizer.decode(sequence.token_ids) for sequence in sequences]
            for sequences in ([pool.greedy], pool.plain, pool.lengthened, pool.evidence)
        )
        chosen["greedy"].append(greedy[0])
        for size in pool_sizes:
            # The first ones of each set: what consensus decoding with N = size would have drawn.
            subset = [*greedy, *plain[: size - size // 2], *lengthened[: size // 2]]
            chosen[f"consensus of {size}"].append(subset[consensus_index(subset, evidence[:size])])
        chosen["best candidate (oracle)"].append(
            max(
                [*greedy, *plain, *lengthened],
                key=lambda text: chrf.sentence_score(text, [example.response]).score,
            )
        )
    references = [example.response for example in dev]
    print(
        f"{len(dev)} dev examples; candidates: greedy + {args.samples} at temperature {args.temperature}"
        f" (half with EOS penalty {args.eos_penalty}); evidence: {args.samples} at temperature"
        f" {args.evidence_temperature}"
    )
    print(f"{'':26}{'chrF':>8}{'BLEU':>8}{'mean chars':>12}")
    for name, texts in chosen.items():
        chrf_score = sacrebleu.corpus_chrf(texts, [references]).score
        bleu = sacrebleu.corpus_bleu(texts, [references]).score
        print(f"{name:26}{chrf_score:8.1f}{bleu:8.1f}{statistics.mean(map(len, texts)):12.0f}")
    print(f"{'references':26}{'':16}{statistics.mean(map(len, references)):12.0f}")


if __name__ == "__main__":
    main()
