"""The first stage: passages that may answer, from three retrievers, each restricted by the filters
before it ranks (never after truncation): dense (FAISS), keyword (BM25 over the index's postings)
and the commitments a question names exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.store import IndexReader

from .query import Query

__all__ = ["Candidates", "VersionRankings", "dense", "cosines", "keyword", "exact", "with_versions"]


@dataclass(frozen=True)
class VersionRankings:
    """The dense and keyword rankings of one translation of the question."""

    language: str
    dense: dict[int, float]  # chunk id -> cosine similarity to the translation's vector
    keyword: dict[int, float]  # chunk id -> BM25 score of the translation's stems


@dataclass(frozen=True)
class Candidates:
    """Each retriever's ranking, best first."""

    dense: dict[int, float]  # chunk id -> cosine similarity
    keyword: dict[int, float]  # chunk id -> BM25 score
    exact: tuple[int, ...]  # chunks of the commitments the question names, in document order
    #: chunk id -> the language of the translated question that ranked it
    matched: dict[int, str] = field(default_factory=dict)
    #: the rankings of the question's translations, each among its own language's passages
    translated: tuple[VersionRankings, ...] = ()


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


def with_versions(reader: IndexReader, query: Query, found: Candidates, vectors: dict[str, np.ndarray],
                  depth: int, allowed_in: dict[str, np.ndarray]) -> Candidates:
    """``found`` with the rankings of the question's translations (``query.versions``): each version
    is searched among the passages of its own language (``allowed_in``: language -> those chunk ids,
    the filters applied), by its own keyword stems and, when ``vectors`` holds it, its own vector.
    ``matched`` records, for each passage a version ranked, the language of that version."""
    rankings, matched = [], dict(found.matched)
    for version in query.versions:
        allowed = allowed_in.get(version.language)
        if allowed is None or not len(allowed):
            continue
        dense_v = dense(reader, vectors[version.language], depth, allowed) if version.language in vectors else {}
        keyword_v = reader.keyword_scores(version.terms, depth, allowed) if version.terms else {}
        rankings.append(VersionRankings(version.language, dense_v, keyword_v))
        matched.update(dict.fromkeys([*dense_v, *keyword_v], version.language))
    return Candidates(found.dense, found.keyword, found.exact, matched, tuple(rankings))
