"""Consensus decoding: answer with the candidate reply that agrees most with the model's other candidates.

Minimum-Bayes-risk decoding (Kumar & Byrne 2004; Freitag et al. 2022) with chrF as the utility: sample
several replies, then keep the one with the highest mean chrF against all the others. Support replies come
in many equally valid wordings; greedy decoding follows one path through them token by token, while the
consensus candidate is the centre of the model's whole distribution for this message, which is what a
reader (and chrF against a reference) rewards. docs/model.md has the measured effect.
"""

from __future__ import annotations

from collections.abc import Sequence

from sacrebleu.metrics import CHRF

_CHRF = CHRF()


def consensus_index(candidates: Sequence[str]) -> int:
    """Index of the candidate with the highest mean chrF against the other candidates (ties: the first)."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    if len(candidates) == 1:
        return 0

    def support(index: int) -> float:
        others = [other for position, other in enumerate(candidates) if position != index]
        return sum(_CHRF.sentence_score(candidates[index], [other]).score for other in others)

    return max(range(len(candidates)), key=support)
