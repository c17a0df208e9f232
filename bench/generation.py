"""Generation speed in one run on one machine: our engine vs Hugging Face generate() vs CTranslate2.

    python -m bench.generation --write docs/performance.md

The `small` shape (d_model 256, 4 heads, FFN 1024, 3+3 layers, vocab 8000), randomly initialised: speed does
not depend on what the weights learned. 64-token sources, 128 new tokens with EOS suppressed, batch 1 and 16,
torch and CTranslate2 threads = CPU cores. Hugging Face runs a Marian model of the same shape (use_cache=True,
inference_mode, greedy); CTranslate2 runs OUR weights, converted by `inference_to_ctranslate2` below, after
a check that it scores a target exactly like our model does. Needs bench/requirements.txt.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
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


def measure_all(repeats: int, threads: int) -> tuple[list[Measurement], dict[str, str]]:
    import ctranslate2

    config = ModelConfig.preset("small")
    torch.manual_seed(0)
    model = Seq2SeqTransformer(config).eval()
    quantized = quantize_dynamic_int8(model)
    hf_model = hugging_face_marian(config)
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as directory:
        export_to_ctranslate2(model, Path(directory) / "ct2")
        translators = {
            compute_type: ctranslate2.Translator(
                str(Path(directory) / "ct2"), device="cpu", compute_type=compute_type, intra_threads=threads
            )
            for compute_type in ("float32", "int8")
        }
        difference = check_ctranslate2_scores_like_ours(
            model, translators["float32"], make_sources(1, 8000, 1)[0]
        )
        notes["ctranslate2 check"] = f"max per-token log-prob difference vs our model: {difference:.1e}"
        engines = {
            "ours (float32)": lambda sources: our_engine(model, sources),
            "ours (int8 dynamic)": lambda sources: our_engine(quantized, sources),
            "Hugging Face Marian generate()": lambda sources: hugging_face_engine(hf_model, sources),
            "CTranslate2 float32 (our weights)": lambda sources: ctranslate2_engine(
                translators["float32"], sources
            ),
            "CTranslate2 int8 (our weights)": lambda sources: ctranslate2_engine(
                translators["int8"], sources
            ),
        }
        measurements = []
        for batch_size in BATCH_SIZES:
            sources = make_sources(batch_size, config.vocab_size, seed=batch_size)
            for name, make_run in engines.items():
                seconds, new_tokens = timed_runs(make_run(sources), repeats)
                measurements.append(Measurement(name, batch_size, seconds, new_tokens))
                print(
                    f"batch {batch_size:2d}  {name:36s} {measurements[-1].tokens_per_second:8.0f} tok/s",
                    flush=True,
                )
    return measurements, notes


def render(
    measurements: list[Measurement], notes: dict[str, str], command: str, threads: int, load: str
) -> str:
    import ctranslate2
    import transformers

    by_key = {(m.engine, m.batch_size): m.tokens_per_second for m in measurements}
    lines = [
        TABLE_START,
        f"Command: `{command}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {threads} threads; "
        f"load average before the run: {load}. torch {torch.__version__}, "
        f"transformers {transformers.__version__}, ctranslate2 {ctranslate2.__version__}.",
        f"Workload: `small` shape, {SOURCE_LENGTH}-token source, {NEW_TOKENS} new tokens (EOS suppressed), "
        "greedy; new tokens per second, median of the timed runs.",
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
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per engine and batch size")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch and CTranslate2 threads")
    parser.add_argument("--write", type=Path, help="markdown file to put the table into (between markers)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    measurements, notes = measure_all(args.repeats, args.threads)
    command = "python -m bench.generation " + " ".join(sys.argv[1:])
    table = render(measurements, notes, command.strip(), args.threads, load)
    print(table)
    if args.write:
        write_into(args.write, table)


if __name__ == "__main__":
    main()
