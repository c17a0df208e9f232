"""Generation speed in one run on one machine: our engine vs Hugging Face generate() vs CTranslate2.

    python -m bench.generation --write docs/performance.md

The `small` shape (d_model 256, 4 heads, FFN 1024, 3+3 layers, vocab 8000), randomly initialised: speed does
not depend on what the weights learned. 64-token sources, 128 new tokens with EOS suppressed, batch 1 and 16,
torch and CTranslate2 threads = CPU cores. Hugging Face runs a Marian model of the same shape (use_cache=True,
inference_mode, greedy); CTranslate2 runs OUR weights, converted by `bench/ctranslate2_export.py`, after
a check that it scores a target exactly like our model does. Needs bench/requirements.txt.

Every engine is measured in a fresh process of its own (two OpenMP runtimes in one process disturb each
other), and the engines take turns over several rounds so that a slow minute of a shared machine hits them
all alike; the table gives each engine's median over all its timed runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from bench.ctranslate2_export import ctranslate2_tokens, export_to_ctranslate2
from inference.config import ModelConfig
from inference.generate import GenerationSettings, generate
from inference.model import Seq2SeqTransformer
from inference.quantize import quantize_dynamic_int8

SOURCE_LENGTH = 64
NEW_TOKENS = 128
BATCH_SIZES = (1, 16)
TABLE_START = "<!-- generation benchmark: start -->"
TABLE_END = "<!-- generation benchmark: end -->"


@dataclass
class Measurement:
    engine: str
    batch_size: int
    seconds: list[float]  # one per timed run
    new_tokens: int  # per run, all rows together

    @property
    def tokens_per_second(self) -> float:
        return self.new_tokens / statistics.median(self.seconds)


def make_sources(batch_size: int, vocab_size: int, seed: int) -> list[list[int]]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(4, vocab_size, (batch_size, SOURCE_LENGTH), generator=generator).tolist()


def timed_runs(run: Callable[[], int], repeats: int) -> tuple[list[float], int]:
    """One warm-up run, then `repeats` timed ones; `run` returns the number of new tokens it made."""
    new_tokens = run()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        produced = run()
        seconds.append(time.perf_counter() - start)
        if produced != new_tokens:
            raise RuntimeError(f"runs produced {new_tokens} then {produced} tokens")
    return seconds, new_tokens


def our_engine(model: Seq2SeqTransformer, sources: list[list[int]]) -> Callable[[], int]:
    settings = GenerationSettings(max_new_tokens=NEW_TOKENS, suppress_eos=True)
    return lambda: sum(len(result.token_ids) for result in generate(model, sources, settings))


def hugging_face_marian(config: ModelConfig):
    from transformers import MarianConfig, MarianMTModel

    marian = MarianConfig(
        vocab_size=config.vocab_size,
        d_model=config.d_model,
        encoder_layers=config.n_encoder_layers,
        decoder_layers=config.n_decoder_layers,
        encoder_attention_heads=config.n_heads,
        decoder_attention_heads=config.n_heads,
        encoder_ffn_dim=config.d_ff,
        decoder_ffn_dim=config.d_ff,
        max_position_embeddings=max(config.max_source_len, config.max_target_len),
        activation_function="gelu",
        scale_embedding=True,
        pad_token_id=config.pad_id,
        bos_token_id=config.bos_id,
        eos_token_id=config.eos_id,
        decoder_start_token_id=config.bos_id,
        forced_eos_token_id=None,
    )
    torch.manual_seed(0)
    return MarianMTModel(marian).eval()


def hugging_face_engine(hf_model, sources: list[list[int]]) -> Callable[[], int]:
    input_ids = torch.tensor(sources)

    def run() -> int:
        with torch.inference_mode():
            output = hf_model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=NEW_TOKENS,
                min_new_tokens=NEW_TOKENS,  # Hugging Face's way of suppressing EOS
                do_sample=False,
                num_beams=1,
                use_cache=True,
            )
        return (output.size(1) - 1) * output.size(0)  # minus the decoder start token

    return run


def ctranslate2_engine(translator, sources: list[list[int]]) -> Callable[[], int]:
    tokens = [ctranslate2_tokens(source) for source in sources]

    def run() -> int:
        results = translator.translate_batch(
            tokens,
            beam_size=1,
            max_decoding_length=NEW_TOKENS,
            min_decoding_length=NEW_TOKENS,  # CTranslate2's way of suppressing EOS
            max_batch_size=len(tokens),
        )
        return sum(len(result.hypotheses[0]) for result in results)

    return run


def check_ctranslate2_scores_like_ours(model: Seq2SeqTransformer, translator, source: list[int]) -> float:
    """Largest difference between per-token log-probs of one target under CTranslate2 and under our model."""
    target = make_sources(1, model.config.vocab_size, seed=99)[0][:20]
    with torch.inference_mode():
        logits, _, _ = model(torch.tensor([source]), torch.tensor([[model.config.bos_id] + target]))
        ours = torch.log_softmax(logits[0], -1).gather(1, torch.tensor([target]).T).squeeze(1)
    scored = translator.score_batch([ctranslate2_tokens(source)], [ctranslate2_tokens(target)])[0]
    theirs = torch.tensor(scored.log_probs[: len(target)])
    difference = (ours - theirs).abs().max().item()
    if difference > 1e-3:
        raise RuntimeError(
            f"the CTranslate2 export disagrees with our model (max log-prob difference {difference})"
        )
    return difference


ENGINES = (
    "ours (float32)",
    "ours (int8 dynamic)",
    "Hugging Face Marian generate()",
    "CTranslate2 float32 (our weights)",
    "CTranslate2 int8 (our weights)",
)


def measure_one(engine: str, batch_size: int, repeats: int, threads: int) -> tuple[list[float], int, str]:
    """Timed runs of one engine at one batch size, in this process: (seconds per run, new tokens, note)."""
    config = ModelConfig.preset("small")
    torch.manual_seed(0)
    model = Seq2SeqTransformer(config).eval()
    sources = make_sources(batch_size, config.vocab_size, seed=batch_size)
    note = ""
    if engine.startswith("ours"):
        run = our_engine(quantize_dynamic_int8(model) if "int8" in engine else model, sources)
        return (*timed_runs(run, repeats), note)
    if engine.startswith("Hugging Face"):
        return (*timed_runs(hugging_face_engine(hugging_face_marian(config), sources), repeats), note)
    import ctranslate2

    with tempfile.TemporaryDirectory() as directory:
        export_to_ctranslate2(model, Path(directory) / "ct2")
        compute_type = "int8" if "int8" in engine else "float32"
        translator = ctranslate2.Translator(
            str(Path(directory) / "ct2"), device="cpu", compute_type=compute_type, intra_threads=threads
        )
        if compute_type == "float32":
            difference = check_ctranslate2_scores_like_ours(model, translator, make_sources(1, 8000, 1)[0])
            note = f"max per-token log-prob difference vs our model: {difference:.1e}"
        return (*timed_runs(ctranslate2_engine(translator, sources), repeats), note)


def measure_all(repeats: int, threads: int, rounds: int) -> tuple[list[Measurement], dict[str, str]]:
    """Each (engine, batch size) in a fresh child process, every round, the engines taking turns."""
    seconds: dict[tuple[str, int], list[float]] = {}
    new_tokens: dict[tuple[str, int], int] = {}
    notes: dict[str, str] = {}
    for round_number in range(1, rounds + 1):
        for batch_size in BATCH_SIZES:
            for engine in ENGINES:
                child = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.generation",
                        "--child",
                        engine,
                        "--batch-size",
                        str(batch_size),
                        "--repeats",
                        str(repeats),
                        "--threads",
                        str(threads),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                result = json.loads(child.stdout.strip().splitlines()[-1])
                seconds.setdefault((engine, batch_size), []).extend(result["seconds"])
                new_tokens[(engine, batch_size)] = result["new_tokens"]
                if result["note"]:
                    notes["ctranslate2 check"] = result["note"]
                print(
                    f"round {round_number}  batch {batch_size:2d}  {engine:36s} "
                    f"{result['new_tokens'] / statistics.median(result['seconds']):8.0f} tok/s",
                    file=sys.stderr,
                    flush=True,
                )
    measurements = [
        Measurement(engine, batch_size, seconds[(engine, batch_size)], new_tokens[(engine, batch_size)])
        for batch_size in BATCH_SIZES
        for engine in ENGINES
    ]
    return measurements, notes


def render(
    measurements: list[Measurement], notes: dict[str, str], command: str, threads: int, load: str
) -> str:
    import ctranslate2
    import transformers

    by_key = {(m.engine, m.batch_size): m.tokens_per_second for m in measurements}
    runs = len(measurements[0].seconds)
    lines = [
        TABLE_START,
        f"Command: `{command}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {threads} threads; "
        f"load average before the run: {load}. torch {torch.__version__}, "
        f"transformers {transformers.__version__}, ctranslate2 {ctranslate2.__version__}.",
        f"Workload: `small` shape, {SOURCE_LENGTH}-token source, {NEW_TOKENS} new tokens (EOS suppressed), "
        f"greedy; new tokens per second, median of all timed runs ({runs} per engine and batch size, "
        "each engine in its own process, the engines taking turns).",
        "",
        "| engine | batch | tokens/s | × Hugging Face | × CTranslate2 float32 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for m in measurements:
        hf = by_key[("Hugging Face Marian generate()", m.batch_size)]
        ct2 = by_key[("CTranslate2 float32 (our weights)", m.batch_size)]
        lines.append(
            f"| {m.engine} | {m.batch_size} | {m.tokens_per_second:.0f} | "
            f"{m.tokens_per_second / hf:.2f} | {m.tokens_per_second / ct2:.2f} |"
        )
    lines += [""] + [f"- {name}: {note}" for name, note in notes.items()] + [TABLE_END]
    return "\n".join(lines) + "\n"


def write_into(document: Path, table: str) -> None:
    """Replace the previous table between the markers (or append one)."""
    text = document.read_text(encoding="utf-8") if document.exists() else "# Performance\n\n"
    if TABLE_START in text and TABLE_END in text:
        before, rest = text.split(TABLE_START, 1)
        after = rest.split(TABLE_END, 1)[1].lstrip("\n")
        text = before + table + after
    else:
        text = text.rstrip("\n") + "\n\n" + table
    document.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per engine, batch size and round")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch and CTranslate2 threads")
    parser.add_argument("--rounds", type=int, default=3, help="turns each engine takes, in fresh processes")
    parser.add_argument("--write", type=Path, help="markdown file to put the table into (between markers)")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)  # one measurement, as JSON
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.child:
        seconds, new_tokens, note = measure_one(args.child, args.batch_size, args.repeats, args.threads)
        print(json.dumps({"seconds": seconds, "new_tokens": new_tokens, "note": note}))
        return
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    measurements, notes = measure_all(args.repeats, args.threads, args.rounds)
    command = "python -m bench.generation " + " ".join(sys.argv[1:])
    table = render(measurements, notes, command.strip(), args.threads, load)
    print(table)
    if args.write:
        write_into(args.write, table)


if __name__ == "__main__":
    main()
