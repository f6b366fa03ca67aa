"""The first stage: passages that may answer, from three retrievers, each restricted by the filters
before it ranks (never after truncation): dense (FAISS), keyword (BM25 over the index's postings)
and the commitments a question names exactly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from indexer.countries import canonical_country
from indexer.store import IndexReader

from .query import Query

__all__ = ["Bridges", "Candidates", "VersionRankings", "bridge_text", "bridge_vector", "with_bridges", "dense", "cosines", "keyword", "exact", "with_versions",
           "with_renderings"]


@dataclass(frozen=True)
class VersionRankings:
    """The dense and keyword rankings of one translation of the question."""

    language: str
    dense: dict[int, float]  # chunk id -> cosine similarity to the translation's vector
    keyword: dict[int, float]  # chunk id -> BM25 share of the translation's stems (also in Candidates.keyword)


@dataclass(frozen=True)
class Candidates:
    """Each retriever's ranking, best first."""

    dense: dict[int, float]  # chunk id -> cosine similarity
    #: chunk id -> BM25 share of the question's full match; with translations, each passage by the
    #: best of the question as asked and its translation into the passage's language (with_versions)
    keyword: dict[int, float]
    exact: tuple[int, ...]  # chunks of the commitments the question names, in document order
    #: chunk id -> the language of the translated question that ranked it
    matched: dict[int, str] = field(default_factory=dict)
    #: the rankings of the question's translations, each among its own language's passages
    translated: tuple[VersionRankings, ...] = ()
    #: chunk id -> cosine similarity of the question (in the bridge language) and the passage's
    #: machine rendering in that language (indexer/bridge.py), the best ``depth``
    bridged: dict[int, float] = field(default_factory=dict)
    #: for a question asked in another language than the model's: the dense ranking, in the model's
    #: language, of the passages in the other languages (with_bridges)
    across: dict[int, float] = field(default_factory=dict)

    def rankings(self) -> tuple[dict[int, float], ...]:
        """Every ranking fusion reads: dense, keyword, each translation's dense, and ``across``."""
        return (self.dense, self.keyword, *(version.dense for version in self.translated), self.across)


@dataclass(frozen=True, eq=False)
class Bridges:
    """The vectors of the passages rendered into ``language`` at build time, held in memory (only
    the passages in other languages than the model's have one). Searched exactly: there are few."""

    language: str
    ids: np.ndarray  # chunk ids, ascending
    vectors: np.ndarray  # one row per id
    members: frozenset[int]  # the ids, for lookups

    @classmethod
    def of(cls, reader: IndexReader, language: str) -> Bridges:
        ids, vectors = reader.bridges(language) if language != "off" else (np.zeros(0, np.int64), np.zeros((0, 1)))
        return cls(language, ids, vectors, frozenset(ids.tolist()))

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, vector: np.ndarray, depth: int, allowed: np.ndarray | None) -> dict[int, float]:
        """chunk id -> cosine of the ``depth`` renderings nearest to ``vector`` (among ``allowed``)."""
        if not len(self.ids) or depth <= 0:
            return {}
        scores = self.vectors @ vector[0]
        rows = np.arange(len(self.ids)) if allowed is None else np.flatnonzero(np.isin(self.ids, allowed))
        if not len(rows):
            return {}
        if len(rows) > depth:
            rows = rows[np.argpartition(-scores[rows], depth - 1)[:depth]]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return {int(self.ids[r]): float(scores[r]) for r in rows}

    def cosines(self, vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        """chunk id -> cosine of ``vector`` and the passage's rendering, for those of ``ids`` that have one."""
        if not len(self.ids) or not ids:
            return {}
        wanted = np.asarray(ids, dtype=np.int64)
        at = np.searchsorted(self.ids, wanted).clip(0, len(self.ids) - 1)
        has = self.ids[at] == wanted
        scores = self.vectors[at[has]] @ vector[0]
        return dict(zip(wanted[has].tolist(), scores.tolist()))


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
    """chunk id -> BM25 score as a share of the question's full match (higher is better) of the
    best ``depth`` keyword matches (``allowed``: the chunk ids the filters leave, when they are active)."""
    if not query.terms:
        return {}
    return reader.keyword_shares(query.terms, depth, allowed)


def exact(reader: IndexReader, query: Query) -> tuple[int, ...]:
    """Chunks of commitments the question names exactly, in document order: by id ("MK0164")
    or by member and number ("UK commitment 7")."""
    filters = query.filters if query.filters.active else None
    found = reader.commitment_chunks(query.commitment_ids, filters)
    if query.commitment_number and query.country:
        # The question's member is in the canonical spelling; the records may use another.
        for spelling in (c for c in reader.countries() if canonical_country(c) == query.country):
            found += reader.numbered_commitment_chunks(spelling, query.commitment_number, filters)
    return tuple(found)


def bridge_vector(query: Query, vector: np.ndarray, vectors: dict[str, np.ndarray], bridges: Bridges,
                  ) -> np.ndarray | None:
    """The question's vector in the renderings' language: its own when asked in it (or when its
    language was not told apart, as in an index of one language), else its translation's when that
    was encoded (translate_dense); None without renderings or such a vector."""
    if not len(bridges):
        return None
    if _asked_in_renderings_language(query, bridges):
        return vector
    return vectors.get(bridges.language)


def bridge_text(query: Query, bridges: Bridges) -> str | None:
    """The question's words in the renderings' language, as ``bridge_vector`` picks its vector: the
    question as asked, or its translation into that language (None when it has none)."""
    if _asked_in_renderings_language(query, bridges):
        return query.text
    return next((v.text for v in query.versions if v.language == bridges.language), None)


def _asked_in_renderings_language(query: Query, bridges: Bridges) -> bool:
    # "" when the question's language was not told apart, as in an index of one language.
    return query.asked_in in ("", bridges.language)


def with_bridges(found: Candidates, bridges: Bridges, query: Query, vector: np.ndarray | None, depth: int,
                 allowed: np.ndarray | None, asked: Callable[[list[int]], set[int]]) -> Candidates:
    """The dense side with each passage measured where the model can measure it: the packaged model is
    English-only, so a passage in another language is met by its machine rendering's vector
    (indexer/bridge.py), which says more about its meaning than a vector of text the model was not
    trained on. ``vector``: the question's in the renderings' language (bridge_vector); ``asked(ids)``:
    those of ``ids`` written in the language the question is asked in.

    A question asked in the renderings' language gets one dense ranking: passages in that language by
    their own vectors, the others by their renderings'. A question asked in another language keeps its
    own dense ranking of the passages in its language (same-language vectors still match), and gets a
    second one, ``across``, of every other passage in the model's language: those written in it by
    their own vectors against the question's translation (which replaces that translation's own dense
    ranking), the others by their renderings'. ``bridged`` keeps the renderings' scores."""
    if vector is None:
        return found
    bridged = bridges.search(vector, depth, allowed)
    if _asked_in_renderings_language(query, bridges):
        merged = {cid: score for cid, score in found.dense.items() if cid not in bridges.members}
        merged.update(bridged)
        return replace(found, dense=_best(merged, depth), bridged=bridged)
    same = asked(list(found.dense))
    own = {cid: score for cid, score in found.dense.items() if cid in same}
    version = next((v for v in found.translated if v.language == bridges.language), None)
    across = dict(version.dense) if version is not None else {}
    rendered_here = asked(list(bridged))
    across.update({cid: score for cid, score in bridged.items() if cid not in rendered_here})
    translated = tuple(replace(v, dense={}) if v is version else v for v in found.translated)
    return replace(found, dense=own, across=_best(across, depth), bridged=bridged, translated=translated)


def _best(scores: dict[int, float], depth: int) -> dict[int, float]:
    best = sorted(scores, key=scores.get, reverse=True)[:depth]
    return {cid: scores[cid] for cid in best}


def with_renderings(reader: IndexReader, query: Query, found: Candidates, depth: int,
                    allowed: np.ndarray | None) -> Candidates:
    """``found`` with each passage that has a machine rendering (indexer/bridge.py) also matched by
    the words of that rendering, against the question in the rendering's language
    (``query.rendering_terms``), and kept in the one keyword ranking by the better of its shares.

    A translated question reaches a passage in another language only through the words the engine
    chose for it ("Citizen Net" for a Spanish question's "Red Ciudadana"); the same engine rendered the passage
    into the question's language at build time, so the question's own words meet the rendering's."""
    if not query.rendering_terms:
        return found
    rendered = reader.rendering_shares(query.rendering_terms, depth, allowed)
    if not rendered:
        return found
    keyword = dict(found.keyword)
    for cid, share in rendered.items():
        if share > keyword.get(cid, 0.0):
            keyword[cid] = share
    return replace(found, keyword=_best(keyword, depth))


def with_versions(reader: IndexReader, query: Query, found: Candidates, vectors: dict[str, np.ndarray],
                  depth: int, allowed_in: dict[str, np.ndarray]) -> Candidates:
    """``found`` with the rankings of the question's translations (``query.versions``): each version
    is searched among the passages of its own language (``allowed_in``: language -> those chunk ids,
    the filters applied), by its own keyword stems and, when ``vectors`` holds it, its own vector.
    ``matched`` records, for each passage a version ranked, the language of that version.

    The keyword side becomes one ranking of every passage: each by the best of the question as
    asked and its translation into the passage's language, both as shares of their full match
    (indexer/postings.py's bm25_shares). A Spanish passage that the Spanish version matches as
    well as the question matches the best English one then ranks beside it: as separate rankings
    weighed against the asked one, a translation's best passages fell behind the asked question's
    hundredth."""
    rankings, matched = [], dict(found.matched)
    keyword_all = dict(found.keyword)
    for version in query.versions:
        allowed = allowed_in.get(version.language)
        if allowed is None or not len(allowed):
            continue
        dense_v = dense(reader, vectors[version.language], depth, allowed) if version.language in vectors else {}
        keyword_v = reader.keyword_shares(version.terms, depth, allowed) if version.terms else {}
        rankings.append(VersionRankings(version.language, dense_v, keyword_v))
        matched.update(dict.fromkeys([*dense_v, *keyword_v], version.language))
        for cid, share in keyword_v.items():
            if share > keyword_all.get(cid, 0.0):
                keyword_all[cid] = share
    return replace(found, keyword=_best(keyword_all, depth), matched=matched, translated=tuple(rankings))
