"""Consensus decoding keeps the candidate that agrees most with the others."""

import pytest
from sacrebleu.metrics import CHRF

from inference.consensus import consensus_index, pairwise_chrf


def test_it_keeps_the_candidate_closest_to_all_the_others():
    candidates = [
        "Please log in and open Orders to cancel order 123.",
        "I can't help with that.",
        "To cancel order 123, log in and open Orders, then choose Cancel.",
        "To cancel order 123, log in, open Orders and choose Cancel.",
    ]
    assert consensus_index(candidates) in (2, 3)
    assert consensus_index(candidates[1:2]) == 0


def test_identical_candidates_tie_to_the_first_and_an_empty_list_is_an_error():
    assert consensus_index(["same", "same", "other"]) == 0
    with pytest.raises(ValueError, match="no candidates"):
        consensus_index([])


def test_the_pairwise_scores_are_sacrebleus_sentence_chrf():
    texts = [
        "To cancel order {{Order Number}}, log in and open Orders.",
        "To cancel your order, open Orders and choose Cancel.",
        "I can't help with that.",
        "",
        "a",
        "ok ok",
        "退货 😀 please",
    ]
    scores = pairwise_chrf(texts)
    chrf = CHRF()
    for row, hypothesis in enumerate(texts):
        for column, reference in enumerate(texts):
            expected = chrf.sentence_score(hypothesis, [reference]).score
            assert scores[row, column] == pytest.approx(expected, abs=1e-9), (hypothesis, reference)
