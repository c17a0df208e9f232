"""Consensus decoding keeps the candidate that agrees most with the evidence."""

import pytest
from sacrebleu.metrics import CHRF

from inference.consensus import chrf_matrix, consensus_index

EVIDENCE = [
    "To cancel order 123, log in and open Orders, then choose Cancel.",
    "Log in, open Orders and choose Cancel next to order 123.",
    "Sorry to see you go: open Orders, find order 123 and choose Cancel.",
]


def test_it_keeps_the_candidate_closest_to_the_evidence():
    candidates = [
        "I can't help with that.",
        "To cancel order 123, log in, open Orders and choose Cancel.",
        "Our opening hours are 9 to 5.",
    ]
    assert consensus_index(candidates, EVIDENCE) == 1
    assert consensus_index(candidates[2:], EVIDENCE) == 0


def test_the_evidence_decides_not_the_other_candidates():
    # Two candidates that agree with each other lose to the one the evidence agrees with.
    candidates = ["Our opening hours are 9 to 5.", "Our opening hours are 9 to 5 daily.", EVIDENCE[0]]
    assert consensus_index(candidates, EVIDENCE[1:]) == 2


def test_identical_candidates_tie_to_the_first_and_empty_sets_are_errors():
    assert consensus_index(["same", "same", "other"], ["same"]) == 0
    with pytest.raises(ValueError, match="no candidates"):
        consensus_index([], EVIDENCE)
    with pytest.raises(ValueError, match="no evidence"):
        consensus_index(["a reply"], [])


TEXTS = [
    "To cancel order {{Order Number}}, log in and open Orders.",
    "To cancel your order, open Orders and choose Cancel.",
    "I can't help with that.",
    "",
    "a",
    "ok ok",
    "退货 😀 please",
]


@pytest.mark.parametrize(
    ("hypotheses", "references"), [(TEXTS, TEXTS), (TEXTS[:3], TEXTS[2:]), (TEXTS[5:], TEXTS[:1])]
)
def test_the_scores_are_sacrebleus_sentence_chrf(hypotheses, references):
    scores = chrf_matrix(hypotheses, references)
    assert scores.shape == (len(hypotheses), len(references))
    chrf = CHRF()
    for row, hypothesis in enumerate(hypotheses):
        for column, reference in enumerate(references):
            expected = chrf.sentence_score(hypothesis, [reference]).score
            assert scores[row, column] == pytest.approx(expected, abs=1e-9), (hypothesis, reference)
