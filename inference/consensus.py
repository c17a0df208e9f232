"""Consensus decoding: answer with the candidate reply that agrees most with what the model would say.

Minimum-Bayes-risk decoding (Kumar & Byrne 2004; Freitag et al. 2022) with chrF as the utility: sample
candidate replies, sample a second set of replies as evidence (pseudo-references: draws from the model's
distribution of replies to this message), and keep the candidate with the highest mean chrF against the
evidence. Support replies come in many equally valid wordings; greedy decoding follows one path through
them token by token, while the consensus candidate is the one expected to share the most with whichever
wording the reader wanted. Candidates and evidence are drawn differently on purpose (docs/model.md has the
measurements): candidates at a low temperature, some with a penalty on ending, so the pool holds fluent and
complete replies; evidence at temperature 1, the model's own distribution, which is what the expectation is
over.

The utility is sacrebleu's sentence chrF (character 1-6-grams, β 2, whitespace ignored), computed for all
pairs at once from count matrices: scoring pair by pair in Python took seconds for 33 candidates, which is
what kept the candidate count low.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sacrebleu.metrics.helpers import extract_all_char_ngrams

_CHAR_ORDER = 6
_BETA = 2.0


def consensus_index(candidates: Sequence[str], evidence: Sequence[str]) -> int:
    """Index of the candidate with the highest mean chrF against the evidence (ties: the first)."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    if not evidence:
        raise ValueError("no evidence to score the candidates against")
    return int(np.argmax(chrf_matrix(candidates, evidence).mean(axis=1)))


def chrf_matrix(hypotheses: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """[i, j] = sacrebleu's sentence chrF of hypotheses[i] scored against references[j]."""
    shape = (len(hypotheses), len(references))
    precision_sum, recall_sum, effective_orders = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    hypothesis_ngrams = [extract_all_char_ngrams(text, _CHAR_ORDER) for text in hypotheses]
    reference_ngrams = [extract_all_char_ngrams(text, _CHAR_ORDER) for text in references]
    for order in range(_CHAR_ORDER):
        counts = _count_matrix([ngrams[order] for ngrams in [*hypothesis_ngrams, *reference_ngrams]])
        hypothesis_counts, reference_counts = counts[: shape[0]], counts[shape[0] :]
        # One hypothesis at a time: all pairs at once would hold rows × columns × n-grams cells.
        matches = np.stack([np.minimum(row, reference_counts).sum(axis=1) for row in hypothesis_counts])
        hypothesis_total = hypothesis_counts.sum(axis=1)[:, None]
        reference_total = reference_counts.sum(axis=1)[None, :]
        # sacrebleu averages precision and recall over the orders both texts are long enough to have.
        defined = (hypothesis_total > 0) & (reference_total > 0)
        precision_sum += np.where(defined, matches / np.maximum(hypothesis_total, 1), 0.0)
        recall_sum += np.where(defined, matches / np.maximum(reference_total, 1), 0.0)
        effective_orders += defined
    orders = np.maximum(effective_orders, 1)
    precision, recall = precision_sum / orders, recall_sum / orders
    factor = _BETA**2
    denominator = np.where(precision + recall > 0, factor * precision + recall, 1.0)
    return 100 * (1 + factor) * precision * recall / denominator


def _count_matrix(counters: list) -> np.ndarray:
    """Rows: texts; columns: every n-gram any of them has; cells: how often."""
    columns: dict[str, int] = {}
    for counter in counters:
        for ngram in counter:
            columns.setdefault(ngram, len(columns))
    matrix = np.zeros((len(counters), max(len(columns), 1)), dtype=np.int32)
    for row, counter in enumerate(counters):
        for ngram, times in counter.items():
            matrix[row, columns[ngram]] = times
    return matrix
