"""Synthetic corpora for the scale benchmark and tests: clustered unit vectors and Zipfian text.

Vectors (``ClusteredCorpus``) follow a three-level Gaussian mixture shaped like the real index's
all-MiniLM-L6-v2 vectors (real-index/, 3,299 chunks, with the dev questions):

* a shared direction every vector leans towards (one subject area: random pairs have cosine
  ~0.36; real 0.32);
* an anisotropic spread, variance of the i-th of 384 random orthogonal directions ~ i^-0.8 (half
  the variance in ~13 directions, 80% in ~51; real 21 and 77): the low intrinsic dimension of
  text embeddings, which is what makes inverted lists work on them;
* topics (~sqrt(n)/2), documents around their topic, chunks around their document
  (``chunks_per_doc`` consecutive ids share a document, as the SQLite rows do);
* a question (``queries``) is a fresh point near a random document's centre, never a stored
  vector. At the real index's size its top 1/4/10/100 cosines are 0.70/0.66/0.63/0.51 (real
  0.71/0.63/0.57/0.43), a chunk's nearest other chunks 0.91/0.82/0.79/0.67 at ranks 1/4/10/100
  (real 0.86/0.80/0.76/0.64).

Text (``Vocabulary``) draws words by a Zipf law (s = 1.0) over pronounceable pseudo-words, with
English stopwords as the most frequent ranks; each word's Snowball stem is what the indexer
would store in the FTS5 ``chunk_terms`` table.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indexer.analysis import _STOPWORDS, _stem  # noqa: E402

DIM = 384
#: Lean towards the shared direction; spread of topic centres; noise of documents around their
#: topic, chunks around their document and questions around a document (norms of the added
#: vectors); decay of the variance over directions.
SHARED, TOPIC, DOC, CHUNK, QUERY, ALPHA = 0.75, 0.8, 0.5, 0.4, 1.2, 0.8


def _unit(rows: np.ndarray) -> np.ndarray:
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return rows


class ClusteredCorpus:
    """Topic and document centres for ``n`` chunks; ``vectors()`` and ``queries()`` draw from them."""

    def __init__(self, n: int, dim: int = DIM, chunks_per_doc: int = 4, topics: int | None = None,
                 seed: int = 0) -> None:
        self.n, self.dim, self.chunks_per_doc, self.seed = n, dim, chunks_per_doc, seed
        rng = np.random.default_rng(seed)
        variance = np.arange(1, dim + 1, dtype=np.float64) ** -ALPHA
        self._scale = np.sqrt(variance / variance.sum()).astype(np.float32)
        self._rotation = np.linalg.qr(rng.standard_normal((dim, dim)))[0].astype(np.float32)
        self._shared = _unit(rng.standard_normal((1, dim)).astype(np.float32))[0] * np.float32(SHARED)
        self.topics = topics or max(4, round(math.sqrt(n) / 2))
        centres = self._noise(rng, self.topics, TOPIC)
        self.docs = math.ceil(n / chunks_per_doc)
        self.doc_topic = rng.integers(0, self.topics, size=self.docs)
        self._doc_centres = centres[self.doc_topic] + self._noise(rng, self.docs, DOC)

    def _noise(self, rng: np.random.Generator, count: int, norm: float) -> np.ndarray:
        raw = rng.standard_normal((count, self.dim), dtype=np.float32) * (self._scale * np.float32(norm))
        return raw @ self._rotation

    def _finish(self, latent: np.ndarray) -> np.ndarray:
        return _unit(latent + self._shared)

    def vectors(self, block: int = 65536) -> np.ndarray:
        """(n, dim) float32, unit length; row i belongs to document i // chunks_per_doc."""
        rng = np.random.default_rng(self.seed + 1)
        out = np.empty((self.n, self.dim), dtype=np.float32)
        for start in range(0, self.n, block):
            stop = min(self.n, start + block)
            docs = np.arange(start, stop) // self.chunks_per_doc
            out[start:stop] = self._finish(self._doc_centres[docs] + self._noise(rng, stop - start, CHUNK))
        return out

    def queries(self, count: int, seed: int = 7) -> np.ndarray:
        """(count, dim) float32 unit questions, each near a random document (not a stored vector)."""
        rng = np.random.default_rng(self.seed + seed)
        docs = rng.integers(0, self.docs, size=count)
        return self._finish(self._doc_centres[docs] + self._noise(rng, count, QUERY))


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 262144) -> np.ndarray:
    """Row numbers of the exact top ``k`` by inner product, best first (numpy's BLAS, in blocks)."""
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), block):
        scores = queries @ vectors[start:start + block].T
        kk = min(k, scores.shape[1])
        top = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        best_s = np.hstack([best_s, np.take_along_axis(scores, top, axis=1)])
        best_i = np.hstack([best_i, top + start])
        keep = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, axis=1), np.take_along_axis(best_i, keep, axis=1)
    return best_i


def recall_at(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean share of the true top ``k`` among the first ``k`` found (both: one row per question)."""
    hits = [len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth)]
    return sum(hits) / (k * len(truth))


# -- text -------------------------------------------------------------------------------------------

_HEAD = [w for w in """the of and to in a for on is with by that will be this it as are from an which at or have
    has not their its was were been can such also all other more these they there into about only would could
    our we what when where who how than any no so do but if over per""".split() if w in _STOPWORDS]
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["an", "en", "ol", "ur", "is", "ar"]


class Vocabulary:
    """``size`` words by Zipf rank: stopwords first, then pseudo-words with distinct Snowball stems."""

    def __init__(self, size: int = 50_000, seed: int = 0, zipf_s: float = 1.0) -> None:
        rng = np.random.default_rng(seed)
        words = list(_HEAD)
        stems = set(words)
        while len(words) < size:
            word = "".join(_SYLLABLES[i] for i in rng.integers(0, len(_SYLLABLES), size=rng.integers(2, 5)))
            stem = _stem("en", word)
            if word in _STOPWORDS or stem in stems:
                continue
            stems.add(stem)
            words.append(word)
        self.words = np.array(words, dtype=object)
        self.stems = np.array([w if w in _STOPWORDS else _stem("en", w) for w in words], dtype=object)
        self.stopwords = len(_HEAD)
        weights = 1.0 / np.arange(1, size + 1) ** zipf_s
        self.cdf = np.cumsum(weights) / weights.sum()

    def passages(self, count: int, rng: np.random.Generator, low: int = 150, high: int = 220) -> list[np.ndarray]:
        """``count`` passages of ``low``-``high`` words, as arrays of ranks."""
        lengths = rng.integers(low, high + 1, size=count)
        ranks = np.searchsorted(self.cdf, rng.random(int(lengths.sum())), side="right")
        ranks = np.minimum(ranks, len(self.cdf) - 1).astype(np.int32)
        return np.split(ranks, np.cumsum(lengths)[:-1])

    def text(self, ranks: np.ndarray) -> str:
        return " ".join(self.words[ranks].tolist())

    def terms(self, ranks: np.ndarray) -> str:
        """What IndexWriter stores in chunk_terms for that text: its stems, space-joined."""
        return " ".join(self.stems[ranks].tolist())

    def question(self, ranks: np.ndarray, rng: np.random.Generator) -> str:
        """4-8 content words of one passage, in passage order, plus a stopword (dropped by query_terms)."""
        content = [int(r) for r in dict.fromkeys(ranks.tolist()) if r >= self.stopwords]
        want = min(len(content), int(rng.integers(4, 9)))
        picked = sorted(rng.choice(len(content), size=want, replace=False).tolist())
        words = [str(self.words[content[i]]) for i in picked]
        words.insert(1, "of")
        return " ".join(words)
