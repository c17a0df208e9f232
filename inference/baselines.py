"""Two non-neural baselines the model must beat, and the reply judge, all TF-IDF on the training split.

* `RetrievalBaseline`: the reply of the most similar training message (cosine of character n-gram TF-IDF).
* `TwoStageBaseline`: logistic regression predicts the intent, then answers with that intent's most central
  training reply (the one with the highest mean similarity to the intent's other replies).
* `ReplyJudge`: logistic regression trained on the training REPLIES; it reads a generated reply and says
  which intent it answers, so a reply that talks about refunds to a customer who asked for an invoice fails.

All of them read the newest customer message only; the model sees the rendered conversation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from inference.data import Example


@dataclass(frozen=True)
class BaselineReply:
    text: str  # raw, with {{placeholders}}
    intent: str


def _message_vectorizer() -> TfidfVectorizer:
    # Character n-grams within words survive the typos and colloquial spellings of customer messages.
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=10.0, max_iter=2000)


class RetrievalBaseline:
    name = "retrieval"

    def __init__(self, train: Sequence[Example]) -> None:
        self._train = list(train)
        self._vectorizer = _message_vectorizer()
        self._matrix = self._vectorizer.fit_transform([example.message for example in self._train])

    def predict(self, messages: Sequence[str]) -> list[BaselineReply]:
        similarities = self._vectorizer.transform(list(messages)) @ self._matrix.T  # (n, train), cosine
        nearest = np.asarray(similarities.argmax(axis=1)).ravel()
        return [BaselineReply(self._train[i].response, self._train[i].intent) for i in nearest]


class TwoStageBaseline:
    name = "two_stage"

    def __init__(self, train: Sequence[Example]) -> None:
        self._vectorizer = _message_vectorizer()
        features = self._vectorizer.fit_transform([example.message for example in train])
        self._classifier = _classifier().fit(features, [example.intent for example in train])
        self._central_reply = central_replies(train)

    def predict(self, messages: Sequence[str]) -> list[BaselineReply]:
        intents = self._classifier.predict(self._vectorizer.transform(list(messages)))
        return [BaselineReply(self._central_reply[intent], str(intent)) for intent in intents]


def central_replies(train: Sequence[Example]) -> dict[str, str]:
    """Per intent, the training reply with the highest mean TF-IDF cosine to that intent's replies."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in train:
        by_intent[example.intent].append(example.response)
    central = {}
    for intent, replies in by_intent.items():
        matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(replies)
        mean_similarity = np.asarray((matrix @ matrix.T).mean(axis=1)).ravel()
        central[intent] = replies[int(mean_similarity.argmax())]
    return central


class ReplyJudge:
    """Which intent does a reply answer? Trained on the training replies (raw, placeholders included)."""

    def __init__(self, train: Sequence[Example]) -> None:
        self._vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        features = self._vectorizer.fit_transform([example.response for example in train])
        self._classifier = _classifier().fit(features, [example.intent for example in train])

    def predict(self, replies: Sequence[str]) -> list[str]:
        return [str(intent) for intent in self._classifier.predict(self._vectorizer.transform(list(replies)))]
