"""The first stage: passages that may answer, from three retrievers, each restricted by the filters
before it ranks (never after truncation): dense (FAISS), keyword (BM25 over the index's postings)
and the commitments a question names exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.store import IndexReader

from .query import Query

__all__ = ["Candidates", "dense", "cosines", "keyword", "exact"]


@dataclass(frozen=True)
class Candidates:
    """Each retriever's ranking, best first."""

    dense: dict[int, float]  # chunk id -> cosine similarity
    keyword: dict[int, float]  # chunk id -> BM25 score
    exact: tuple[int, ...]  # chunks of the commitments the question names, in document order


def dense(reader: IndexReader, vector: np.ndarray, depth: int, allowed: np.ndarray | None) -> dict[int, float]:
    """chunk id -> cosine similarity of the ``depth`` nearest passages (among ``allowed``).

    Exact on a flat index; on an IVF one (large corpora) approximate: ``nprobe`` lists, more
    under a selective filter (IndexReader.search_vectors)."""
    depth = min(depth, reader.vectors.ntotal)
    if depth <= 0:
        return {}
    scores, ids = reader.search_vectors(vector, depth, allowed)
    return {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}


def cosines(reader: IndexReader, vector: np.ndarray, ids: list[int]) -> dict[int, float]:
    """Cosine similarity for chunks the dense side did not rank (exact on a flat index, from
    the SQ8-decoded vector on an IVF one)."""
    if not ids:
        return {}
    vectors = reader.reconstruct(ids)
    return dict(zip(ids, (vectors @ vector[0]).tolist()))


def keyword(reader: IndexReader, query: Query, depth: int, allowed: np.ndarray | None) -> dict[int, float]:
    """chunk id -> BM25 score (higher is better) of the best ``depth`` keyword matches
    (``allowed``: the chunk ids the filters leave, when they are active)."""
    if not query.terms:
        return {}
    return reader.keyword_scores(query.terms, depth, allowed)


def exact(reader: IndexReader, query: Query) -> tuple[int, ...]:
    """Chunks of commitments the question names exactly, in document order: by id ("MK0164")
    or by member and number ("UK commitment 7")."""
    filters = query.filters if query.filters.active else None
    found = reader.commitment_chunks(query.commitment_ids, filters)
    if query.commitment_number and query.country:
        found += reader.numbered_commitment_chunks(query.country, query.commitment_number, filters)
    return tuple(found)
