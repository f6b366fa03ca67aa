"""Reorder the best fused candidates with a linear model over a few signals of each passage.

Reciprocal rank fusion sees only ranks. The model also weighs how close the passage's vector is
to the question's, how strong its keyword match is, how much of the question (rare words counting
more) its text and its document's title hold, whether the question names its country or year,
and whether it is a commitment (the export's hundreds of commitments crowd the candidates of
questions about reports). Its weights are learned from the team's own gold questions by
``benchmarks/train_ranker.py`` (pairwise logistic regression) and written below; the dev set is
kept out of the training, so its score stays a held-out measurement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields

__all__ = ["Signals", "FEATURES", "WEIGHTS", "model_score", "rerank"]


@dataclass(frozen=True)
class Signals:
    """What the model knows about one candidate passage for one question."""

    fusion: float  # the fused score, in units of a first place in one ranking (1 / (rrf_k + 1))
    cosine: float  # cosine similarity of the passage's vector and the question's
    keyword: float  # BM25 score over the question's best BM25 score (0 when no question word is in it)
    commitment: float  # 1 for a commitment of the OGP export, else 0
    named: float  # how many of the country and year the question names the passage's document has (0-2)
    question_words: float  # share of the question's words (idf-weighted) the passage's keyword text holds
    title_words: float  # share of the question's words (idf-weighted) its document's title holds

    def vector(self) -> tuple[float, ...]:
        return astuple(self)


FEATURES = tuple(f.name for f in fields(Signals))

#: Learned by ``python benchmarks/train_ranker.py`` on benchmarks/questions/corpus-real-extra.jsonl and
#: corpus-real-third.jsonl (54 questions; L2 0.3). Units: one unit of each signal above.
WEIGHTS: Mapping[str, float] = {
    "fusion": 0.4258,
    "cosine": 2.4989,
    "keyword": 0.7032,
    "commitment": -1.0349,
    "named": 1.5033,
    "question_words": 2.4045,
    "title_words": 3.5732,
}


def model_score(signals: Signals, weights: Mapping[str, float] = WEIGHTS) -> float:
    return sum(weights[name] * value for name, value in zip(FEATURES, signals.vector()))


def rerank(candidates: Sequence[tuple[int, Signals]], weights: Mapping[str, float] = WEIGHTS,
           ) -> list[tuple[int, float]]:
    """(chunk id, model score) of ``candidates``, best first; ties keep the given order."""
    scored = [(chunk_id, model_score(signals, weights), at) for at, (chunk_id, signals) in enumerate(candidates)]
    scored.sort(key=lambda item: (-item[1], item[2]))
    return [(chunk_id, score) for chunk_id, score, _ in scored]
