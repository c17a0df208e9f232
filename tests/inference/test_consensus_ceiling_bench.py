"""bench/consensus_ceiling.py runs end to end on the tiny shop model and prints every row it promises."""

import re
from pathlib import Path

import pytest

from bench import consensus_ceiling

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "inference" / "sample_data" / "shop_support.jsonl"


def test_the_ceiling_bench_prints_greedy_each_pool_size_and_the_oracle(shop_model, capsys):
    _, _, version_dir = shop_model
    consensus_ceiling.main(
        ["--model", str(version_dir), "--data", str(SAMPLE_DATA), "--samples", "6", "--limit", "3"]
    )
    output = capsys.readouterr().out
    assert output.startswith("3 dev examples; candidates: greedy + 6 at temperature 0.5")
    rows = dict(re.findall(r"^(greedy|consensus of \d+|best candidate \(oracle\))\s+([\d.]+)", output, re.M))
    assert list(rows) == ["greedy", "consensus of 4", "consensus of 6", "best candidate (oracle)"]
    assert all(0.0 <= float(chrf) <= 100.0 for chrf in rows.values())


def test_the_ceiling_bench_refuses_data_without_dev_examples(shop_model, capsys):
    data, _, version_dir = shop_model  # a handful of examples: the split leaves no dev
    with pytest.raises(SystemExit):
        consensus_ceiling.main(["--model", str(version_dir), "--data", str(data)])
    assert "no dev examples in" in capsys.readouterr().err
