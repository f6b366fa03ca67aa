"""Find the passages that answer a question: dense (FAISS) and keyword (SQLite FTS5, BM25)
retrieval, each restricted by the filters before ranking, fused by reciprocal rank,
exact commitment ids first, near-duplicates collapsed into "also in"."""

from __future__ import annotations

import math
import re
import threading
import time
from functools import lru_cache
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.analysis import ANALYZER_VERSION, STEMMER_LANGUAGES, keyword_terms, query_terms, split_words
from indexer.chunking import PART_HEADING_REACH, numbered_part
from indexer.embedding import encoder_for
from indexer.errors import IndexMismatchError
from indexer.postings import bm25_scores, has_postings, held_terms
from indexer.records import DOCUMENT_KINDS, Provenance, citation_label
from indexer.settings import PACKAGED_MODEL_NAME, Settings
from indexer.store import IndexReader, IndexStatistics, StoredChunk

from .answer import best_sentence
from .filters import LANGUAGE_NAMES, Filters
from .rerank import WEIGHTS as RANKER_WEIGHTS
from .rerank import Signals, rerank

__all__ = ["Hit", "Searcher"]

_COMMITMENT_ID = re.compile(r"\b([A-Za-z]{2,4}\d{4})\b")
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_COMMITMENT_NUMBER = re.compile(r"\b(?:commitment|compromiso|engagement)\s*(?:no\.?|number|n[º°o]\.?|#)?\s*(\d{1,3})\b", re.I)
# Short names people use for members whose export name is longer.
_COUNTRY_ALIASES = {"uk": "United Kingdom", "britain": "United Kingdom", "us": "United States",
                    "usa": "United States", "macedonia": "North Macedonia", "czechia": "Czech Republic",
                    "kyrgyzstan": "Kyrgyz Republic"}


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) address, else None (never ``javascript:`` and the like)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ch in '<>"\'`\\' for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


@dataclass(frozen=True)
class Hit:
    """One result: a passage, its provenance, its score and the sentence that best answers."""

    rank: int
    score: float
    chunk_id: int
    document_id: int
    provenance: Provenance
    text: str
    char_start: int
    char_end: int
    language: str
    highlight: tuple[int, int]  # best sentence, as offsets into ``text``
    also_in: tuple[Provenance, ...] = field(default=())
    # The numbered part of a report page the passage is in ("Commitment 18"), when the page shows it.
    part: str | None = None

    @property
    def citation(self) -> str:
        label = citation_label(self.provenance)
        return f"{label}, {self.part}" if self.part else label

    @property
    def best_sentence(self) -> str:
        return self.text[self.highlight[0]:self.highlight[1]]

    @property
    def link(self) -> str | None:
        """The official URL, at the page for PDFs; None when the source has no URL (serve the file)."""
        p = self.provenance
        if not safe_url(p.url):
            return None
        if p.page and p.kind == "report" and "#" not in p.url:
            return f"{p.url}#page={p.page}"
        return p.url

    def to_dict(self) -> dict:
        p = self.provenance
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "text": self.text,
            "source": p.source,
            "title": p.title,
            "kind": p.kind,
            "page": p.page,
            "page_label": p.page_label,
            "section": p.section,
            "part": self.part,
            "commitment_id": p.commitment_id,
            "country": p.country,
            "region": p.region,
            "year": p.year,
            "url": safe_url(p.url),
            "link": self.link,
            "language": self.language,
            "policy_areas": list(p.policy_areas),
            "metadata": dict(p.metadata),
            "citation": self.citation,
            "best_sentence": self.best_sentence,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "also_in": [
                {"source": a.source, "page": a.page, "section": a.section, "commitment_id": a.commitment_id,
                 "citation": citation_label(a)}
                for a in self.also_in
            ],
        }


class Searcher:
    """Answers questions from one index folder. Thread-safe; load once, ask many times."""

    def __init__(self, index_dir: Path | str, settings: Settings | None = None, encoder=None) -> None:
        self.settings = settings or Settings()
        self.reader = IndexReader(index_dir, nprobe=self.settings.nprobe)
        manifest = self.reader.manifest
        if self.settings.model not in (PACKAGED_MODEL_NAME, manifest.model):
            raise IndexMismatchError(
                f"The index at {index_dir} was built with model '{manifest.model}' but the settings ask for "
                f"'{self.settings.model}': rebuild the index with that model, or drop the model setting."
            )
        # Questions are encoded by the model and runtime the index was built with, whatever the
        # settings say: int8 and fp32 vectors are close but not interchangeable.
        self.encoder = encoder or encoder_for(manifest.model, manifest.backend, self.settings)
        self._languages = tuple(lang for lang in self.reader.languages() if lang in STEMMER_LANGUAGES) or ("en",)
        # One pattern for every member name in the index (longest first) and the short names
        # people use for them, built once instead of a regex per country per question.
        countries = [r[0] for r in self.reader.db.execute(
            "SELECT DISTINCT country FROM documents WHERE country IS NOT NULL")]
        self._country_names = {c.lower(): c for c in countries}
        self._country_names.update({a: c for a, c in _COUNTRY_ALIASES.items() if c in countries})
        names = sorted(self._country_names, key=len, reverse=True)
        self._country_pattern = re.compile(rf"\b({'|'.join(map(re.escape, names))})\b") if names else None
        self._lock = threading.Lock()  # one SQLite connection and one FAISS index, shared
        # BM25 from the index's postings (indexer/postings.py); an index built before they existed
        # is ranked by FTS5 instead, with the same formula, until its next build adds them.
        self._postings = has_postings(self.reader.db)
        # One question is one vector: FAISS's OpenMP threads only add wake-up jitter (p95 of the
        # vector search 7.9 ms with them, 0.13 ms without, measured on 2 cores with 3,299 chunks).
        import faiss

        faiss.omp_set_num_threads(1)
        self._encoding_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="question-encoder")
        # The learned ranker's weights (search/rerank.py); benchmarks/train_ranker.py sets others to try them.
        self.ranker_weights = dict(RANKER_WEIGHTS)

    @property
    def manifest(self):
        return self.reader.manifest

    @property
    def update_hint(self) -> str | None:
        """What to run when the index predates this version's keyword analysis (it still answers,
        but a question's words in the other spelling miss its keyword terms); None when current."""
        if self.manifest.analyzer == ANALYZER_VERSION:
            return None
        return (f"note: the index at {self.reader.index_dir} was built by an earlier version; it answers, but run "
                f"`python -m indexer build --index {self.reader.index_dir}` once to update its keyword index.")

    def warm_up(self) -> None:
        """Load the model now (it otherwise loads on the first question)."""
        self.encode_query("warm up")

    def encode_query(self, query: str) -> np.ndarray:
        vector = self.encoder.encode([query])
        if vector.shape[1] != self.manifest.dimension:
            raise IndexMismatchError(
                f"The model gives {vector.shape[1]}-dimensional vectors but the index holds "
                f"{self.manifest.dimension}: rebuild the index."
            )
        return vector

    def facets(self) -> dict[str, list]:
        """The values each filter can take in this index (and the years present), sorted."""
        def values(sql: str) -> list:
            return [r[0] for r in self.reader.db.execute(sql).fetchall() if r[0] not in (None, "")]

        with self._lock:
            return {
                "country": values("SELECT DISTINCT country FROM documents ORDER BY 1"),
                "region": values("SELECT DISTINCT region FROM documents ORDER BY 1"),
                "kind": values("SELECT DISTINCT kind FROM documents ORDER BY 1"),
                "policy_area": values("SELECT DISTINCT area FROM policy_areas ORDER BY 1"),
                "language": values("SELECT DISTINCT language FROM chunks ORDER BY 1"),
                "year": values("SELECT DISTINCT year FROM documents ORDER BY 1"),
            }

    def statistics(self) -> IndexStatistics:
        """What the index holds, for a status panel (safe from any thread)."""
        return self.reader.statistics()

    def sources(self) -> frozenset[str]:
        """The indexed files' paths, relative to the corpus folder (safe from any thread)."""
        return self.reader.sources()

    def check_filters(self, filters: Filters) -> Filters:
        """``filters`` spelt as this index spells its values ("cote d'ivoire" -> "Côte d'Ivoire",
        "UK" -> "United Kingdom"); UnknownFilterValueError, with suggestions, for a value it
        does not hold. ``search`` itself takes any value (an unknown one matches nothing)."""
        facets = self.facets()
        facets["kind"] = sorted({*facets["kind"], *DOCUMENT_KINDS})
        languages = {name: code for code, name in LANGUAGE_NAMES.items()}
        return filters.matched_to(facets, {"country": _COUNTRY_ALIASES, "language": languages})

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` that satisfy ``filters``, best first."""
        query = (query or "").strip()
        if not split_words(query):  # "", "???": nothing to search for
            return []
        k = k or self.settings.results
        filters = filters or Filters()
        # The question is encoded in another thread while this one runs the keyword searches:
        # ONNX Runtime and SQLite both release the GIL, so the two overlap.
        vector_soon = self._encoding_pool.submit(self.encode_query, query)
        try:
            with self._lock:
                allowed = self._allowed_ids(filters)
                if allowed is not None and len(allowed) == 0:
                    return []
                depth = max(self.settings.candidates, 3 * k)
                while True:
                    keyword = self._keyword(query, depth, filters, allowed=allowed) if self.settings.keyword_weight else {}
                    phrases = (self._keyword(query, depth, filters, proximity=True)
                               if self.settings.proximity_weight else {})
                    exact = self._exact_ids(query, filters)
                    prepared = self._prepare_while_encoding(vector_soon, query, exact, keyword, phrases)
                    vector = vector_soon.result()
                    dense = self._dense(vector, depth, allowed)
                    fused = self._metadata_bonus(query, self._fuse(vector, dense, keyword, phrases, exact))
                    # Neighbours are joined by how close their fused scores are, whatever the order.
                    join_scores = dict(fused)
                    # The ranker's weights were learned on reciprocal-rank-fusion scores.
                    if self.settings.rerank_depth and self.settings.fusion == "rrf":
                        fused = self._reranked(query, vector, fused, dense, keyword, set(exact), prepared.chunks)
                    hits = self._collapse_in_slices(query, fused, k, prepared, join_scores)
                    # Several chunks of one long document count once: when that leaves fewer than k
                    # places, look deeper rather than return short.
                    reachable = self.reader.vectors.ntotal if allowed is None else len(allowed)
                    if len(hits) >= k or depth >= reachable:
                        break
                    depth *= 4
        finally:
            vector_soon.cancel()
        return hits

    # -- retrievers ---------------------------------------------------------------------

    def _allowed_ids(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        where, params = filters.where()
        rows = self.reader.db.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where}", params
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def _dense(self, vector: np.ndarray, depth: int, allowed: np.ndarray | None) -> dict[int, float]:
        """chunk id -> cosine similarity of the ``depth`` nearest passages (among ``allowed``).

        Exact on a flat index; on an IVF one (large corpora) approximate: ``nprobe`` lists, more
        under a selective filter (IndexReader.search_vectors)."""
        depth = min(depth, self.reader.vectors.ntotal)
        if depth <= 0:
            return {}
        scores, ids = self.reader.search_vectors(vector, depth, allowed)
        return {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}

    def _dense_scores(self, vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        """Cosine similarity for chunks the keyword side found but the dense side did not rank
        (exact on a flat index, from the SQ8-decoded vector on an IVF one)."""
        if not ids:
            return {}
        vectors = self.reader.reconstruct(ids)
        return dict(zip(ids, (vectors @ vector[0]).tolist()))

    def _keyword(self, query: str, depth: int, filters: Filters, proximity: bool = False,
                 allowed: np.ndarray | None = None) -> dict[int, float]:
        """chunk id -> BM25 score (higher is better) of the best ``depth`` keyword matches
        (``allowed``: the chunk ids the filters leave, when they are active).

        With ``proximity``, only passages where consecutive question words occur close
        together count (FTS5 NEAR groups): the signal that a passage phrases it the same way.
        """
        terms = query_terms(query, self._languages)
        if not terms:
            return {}
        if not proximity and self._postings:
            if filters.active and allowed is None:
                allowed = self._allowed_ids(filters)
            return bm25_scores(self.reader.db, terms, depth, allowed)
        if proximity:
            ordered = query_terms(query, ("en",))
            pairs = [f'NEAR("{a}" "{b}", 2)' for a, b in zip(ordered, ordered[1:])]
            if not pairs:
                return {}
            match = " OR ".join(pairs)
        else:
            # Only stems some passage holds: the question is stemmed in every language of the index
            # and bm25() costs per phrase per matching row, so absent stems (the Dutch stem of an
            # English word) cost time and add nothing (4.2 -> 3.5 ms a question on corpus-real).
            terms = self._indexed_terms(terms)
            if not terms:
                return {}
            match = " OR ".join(f'"{t}"' for t in terms)
        sql = "SELECT rowid, bm25(chunk_terms) FROM chunk_terms WHERE chunk_terms MATCH ?"
        params: list = [match]
        if filters.active:
            where, extra = filters.where()
            # The unary plus keeps the filter out of FTS5: with a bare ``rowid IN``, SQLite runs one
            # MATCH per allowed row (6-150x slower measured, benchmarks/bench_keyword.py).
            sql += f" AND +rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where})"
            params += extra
        sql += " ORDER BY bm25(chunk_terms) LIMIT ?"
        params.append(depth)
        return {r[0]: -float(r[1]) for r in self.reader.db.execute(sql, params)}

    def _indexed_terms(self, terms: list[str]) -> list[str]:
        """The ``terms`` the keyword index holds, in the order given (for the FTS5 ranking of an
        index without postings; FTS5's vocabulary is made readable as a table on first use)."""
        self.reader.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_vocabulary USING fts5vocab(main, 'chunk_terms', 'row')")
        rows = self.reader.db.execute(
            f"SELECT term FROM temp.chunk_vocabulary WHERE term IN ({','.join('?' * len(terms))})", terms)
        held = {r[0] for r in rows}
        return [t for t in terms if t in held]

    def _exact_ids(self, query: str, filters: Filters) -> list[int]:
        """Chunks of commitments the question names exactly, in document order: by id ("MK0164")
        or by member and number ("UK commitment 7")."""
        where, params = filters.where()
        found: list[int] = []
        ids = {m.upper() for m in _COMMITMENT_ID.findall(query)}
        if ids:
            found += [r[0] for r in self.reader.db.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id "
                f"WHERE UPPER(d.commitment_id) IN ({','.join('?' * len(ids))}) AND {where} ORDER BY d.id, c.ordinal",
                [*sorted(ids), *params])]
        number = _COMMITMENT_NUMBER.search(query)
        country = self._country_in(query) if number else None
        if number and country:
            found += [r[0] for r in self.reader.db.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.country = ? AND "
                f"json_extract(d.metadata, '$.commitment_number') = ? AND {where} ORDER BY d.year DESC, d.id, c.ordinal",
                [country, number.group(1), *params])]
        return found

    def _country_in(self, query: str) -> str | None:
        """The member named in the question, by its export name or a common short name."""
        match = self._country_pattern.search(query.lower()) if self._country_pattern else None
        return self._country_names[match.group(1)] if match else None

    def _fuse(self, vector: np.ndarray, dense: dict[int, float], keyword: dict[int, float],
              phrases: dict[int, float], exact: list[int]) -> list[tuple[int, float]]:
        """Combine the two rankings; chunks of a commitment named by id come first.

        ``fusion = "rrf"``: reciprocal rank fusion. ``fusion = "convex"``: a weighted sum of
        min-max normalised scores, the dense score computed exactly for every candidate.
        """
        scores: dict[int, float] = {}
        if self.settings.fusion == "rrf":
            k = self.settings.rrf_k
            for weight, ranking in ((self.settings.dense_weight, dense), (self.settings.keyword_weight, keyword),
                                    (self.settings.proximity_weight, phrases)):
                for rank, cid in enumerate(sorted(ranking, key=ranking.get, reverse=True)):
                    scores[cid] = scores.get(cid, 0.0) + weight / (k + rank + 1)
        else:
            dense = {**dense, **self._dense_scores(vector, [c for c in keyword if c not in dense])}
            low, high = (min(dense.values()), max(dense.values())) if dense else (0.0, 1.0)
            top_keyword = max(keyword.values(), default=0.0) or 1.0
            total = self.settings.dense_weight + self.settings.keyword_weight
            for cid in dense.keys() | keyword.keys():
                d = (dense.get(cid, low) - low) / ((high - low) or 1.0)
                kw = keyword.get(cid, 0.0) / top_keyword
                scores[cid] = (self.settings.dense_weight * d + self.settings.keyword_weight * kw) / total
        for rank, cid in enumerate(exact):
            scores[cid] = scores.get(cid, 0.0) + 2.0 + 1.0 / (rank + 1)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    def _metadata_bonus(self, query: str, fused: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Favour passages whose country or year the question names ("... in Chile 2018").

        The bonus is a fraction of a first-place fusion score per matching field, so it
        reorders close candidates without letting an off-topic passage jump the queue.
        """
        weight = self.settings.metadata_weight
        country = self._country_in(query)
        years = {int(y) for y in _YEAR.findall(query)}
        if not weight or not (country or years) or not fused:
            return fused
        ids = [cid for cid, _ in fused[: self.settings.candidates]]
        rows = self.reader.db.execute(
            f"SELECT c.id, d.country, d.year FROM chunks c JOIN documents d ON d.id = c.document_id "
            f"WHERE c.id IN ({','.join('?' * len(ids))})", ids).fetchall()
        unit = weight / (self.settings.rrf_k + 1) if self.settings.fusion == "rrf" else weight
        bonus = {cid: unit * ((country is not None and c == country) + (y in years)) for cid, c, y in rows}
        return sorted(((cid, score + bonus.get(cid, 0.0)) for cid, score in fused),
                      key=lambda item: (-item[1], item[0]))

    def ranking_signals(self, query: str, vector: np.ndarray, candidates: list[tuple[int, float]],
                        dense: dict[int, float], keyword: dict[int, float],
                        chunks: dict[int, StoredChunk] | None = None) -> list[Signals]:
        """The ranker's signals (search/rerank.py) for each of the fused ``candidates``
        (``chunks``: passages already read; those read here are added to it)."""
        ids = [cid for cid, _ in candidates]
        chunks = {} if chunks is None else chunks
        chunks.update(self.reader.chunks_by_id(c for c in ids if c not in chunks))
        cosine = {**{c: dense[c] for c in ids if c in dense},
                  **self._dense_scores(vector, [c for c in ids if c not in dense])}
        top_keyword = max(keyword.values(), default=0.0) or 1.0
        # How much of the question a text holds, rarer words counting more: a smoothed idf, so a
        # word no passage holds weighs most and a common one still a little.
        words = set(query_terms(query, self._languages))
        # Which question words each passage's keyword text (heading, section, id, country, text) holds.
        passages, frequency, held = (held_terms(self.reader.db, sorted(words), ids) if self._postings
                                     else (0, {}, {}))
        idf = {w: math.log(1 + passages / (1 + frequency.get(w, 0))) for w in words}
        total = sum(idf.values()) or 1.0

        def share(terms) -> float:
            return sum(weight for w, weight in idf.items() if w in terms) / total

        country = self._country_in(query)
        years = {int(y) for y in _YEAR.findall(query)}
        unit = self.settings.rrf_k + 1
        signals = []
        for cid, fused_score in candidates:
            chunk = chunks.get(cid)
            p = chunk.provenance if chunk else None
            signals.append(Signals(
                fusion=fused_score * unit,
                cosine=cosine.get(cid, 0.0),
                keyword=keyword.get(cid, 0.0) / top_keyword,
                commitment=float(p is not None and p.kind == "commitment"),
                named=float(p is not None and ((country is not None and p.country == country) + (p.year in years))),
                question_words=share(held.get(cid, ())),
                title_words=share(_title_terms(p.title)) if p else 0.0,
            ))
        return signals

    def _reranked(self, query: str, vector: np.ndarray, fused: list[tuple[int, float]],
                  dense: dict[int, float], keyword: dict[int, float], exact: set[int] = frozenset(),
                  chunks: dict[int, StoredChunk] | None = None) -> list[tuple[int, float]]:
        """``fused`` with its first ``rerank_depth`` candidates in the learned ranker's order (and
        score); passages of a commitment the question names by id stay first, whatever the weights,
        and the rest follow below, in their fused order."""
        head, tail = fused[: self.settings.rerank_depth], fused[self.settings.rerank_depth:]
        named = [(cid, score) for cid, score in head if cid in exact]
        others = [(cid, score) for cid, score in head if cid not in exact]
        if not others:
            return fused
        signals = self.ranking_signals(query, vector, others, dense, keyword, chunks)
        ordered = rerank(list(zip((cid for cid, _ in others), signals)), self.ranker_weights)
        top, floor = ordered[0][1], ordered[-1][1]
        # Scores stay in descending order: named ids above the ranked ones, the rest below them.
        above = [(cid, top + len(named) - at) for at, (cid, _) in enumerate(named)]
        below = [(cid, floor - (tail[0][1] - score) - 1e-9) for cid, score in tail]
        return above + ordered + below

    # -- presentation -------------------------------------------------------------------

    def _prepare_while_encoding(self, vector_soon, query: str, *rankings) -> _Prepared:
        """Read the passages the keyword rankings put first, their word triples and their best
        sentences, while the question is still being encoded on the other core: most of them
        are among the candidates the results are drawn from, and this thread would otherwise
        wait. Stops as soon as the vector is ready, so it never delays the question."""
        prepared = _Prepared()
        if vector_soon.done():
            return prepared
        wanted: dict[int, None] = {}
        for ranking in rankings:  # each is best first
            wanted.update(dict.fromkeys(list(ranking)[:_PREPARED_PER_RANKING]))
        prepared.chunks.update(self.reader.chunks_by_id(wanted))
        for cid in wanted:
            chunk = prepared.chunks.get(cid)
            # Hand the GIL over between passages: the encoding thread needs it for a moment after
            # ONNX Runtime returns, and would otherwise wait up to Python's 5 ms switch interval
            # (measured: without this, the read-ahead delayed the vector by 2-3 ms).
            time.sleep(0)
            if vector_soon.done():
                break
            if chunk is not None:
                prepared.shingles[cid] = _shingles(chunk.text)
                prepared.highlights[cid] = best_sentence(chunk.text, query, chunk.language)
        return prepared

    def _collapse_in_slices(self, query: str, fused: list[tuple[int, float]], k: int,
                            prepared: _Prepared | None = None, join_scores: dict[int, float] | None = None,
                            ) -> list[Hit]:
        """Collapse near-duplicates, reading candidate chunks from SQLite a slice at a time
        (most questions need only the first few dozen); ``prepared``: what is already read
        and computed for some of them; ``join_scores``: the scores neighbours are joined by
        (the fused ones; by default those of ``fused``)."""
        prepared = prepared or _Prepared()
        join_scores = join_scores if join_scores is not None else dict(fused)
        chunks, shingles, highlights = prepared.chunks, prepared.shingles, prepared.highlights
        # Measured on corpus-real: ten places take 15-30 candidates, so a slice of 3k covers most
        # questions in one read.
        step = max(3 * k, 30)
        kept: list[_Place] = []
        seen = 0  # candidates the collapse has gone through
        for first in range(0, len(fused), step):
            seen = first + step
            chunks.update(self.reader.chunks_by_id(cid for cid, _ in fused[first:seen] if cid not in chunks))
            kept = self._collapse(fused[:seen], chunks, k, shingles, join_scores)
            if len(kept) >= k:
                break
        # A neighbour strong enough to be joined may come after the candidates gone through: when
        # one could still join a place, collapse them all, so a passage is the same whatever k is.
        if len(kept) >= k:
            floor = self.settings.join_adjacent * min(place.join_score for place in kept)
            later = [cid for cid, _ in fused[seen:] if join_scores[cid] >= floor]
            if later:
                chunks.update(self.reader.chunks_by_id(cid for cid in later if cid not in chunks))
                kept = self._collapse(fused, chunks, k, shingles, join_scores)
        hits = []
        for rank, place in enumerate(kept, start=1):
            chunk, joined = place.chunk, place.joined
            text, start, end = chunk.text, chunk.char_start, chunk.char_end
            highlight = highlights.get(chunk.id)
            if joined is not None:  # one passage from the first chunk's start to the second's end
                start, end = min(start, joined.char_start), max(end, joined.char_end)
                text = self.reader.document_span(chunk.document_id, start, end)
                highlight = None
            hits.append(Hit(
                rank=rank, score=place.score, chunk_id=chunk.id, document_id=chunk.document_id,
                provenance=chunk.provenance, text=text, char_start=start, char_end=end, language=chunk.language,
                highlight=highlight or best_sentence(text, query, chunk.language), also_in=tuple(place.also_in),
                part=self._numbered_part(chunk, start)))
        return hits

    def _numbered_part(self, chunk: StoredChunk, start: int) -> str | None:
        """The numbered part of a report page ("Commitment 18") whose heading the page shows above
        the passage starting at ``start``; None otherwise.

        Pages only: a page is short, so its heading is found there or not at all (carrying one over
        from earlier pages would label an annex with the last commitment before it)."""
        if chunk.provenance.page is None:
            return None
        # Only the page up to the passage (and the few characters a heading may sit below it).
        return numbered_part(self.reader.document_span(chunk.document_id, 0, start + PART_HEADING_REACH), start)

    def _collapse(self, fused: list[tuple[int, float]], chunks: dict[int, StoredChunk], k: int,
                  shingles: dict[int, set[tuple[str, ...]]], join_scores: dict[int, float] | None = None,
                  ) -> list[_Place]:
        """Keep the best of near-duplicate passages, the others listed under "also in", for at
        most ``k`` places, best first.

        A place's second chunk is joined to its first when the two are next to each other and
        the second scores nearly as well (``join_adjacent``): the answer often runs across the
        cut, and a reader shown only the first half would miss it (measured on corpus-real:
        the coalition's new co-lead and the hackathon licence sat in the second chunk).
        """
        kept: list[_Place] = []

        def words_of(cid: int) -> set[tuple[str, ...]]:
            # Word triples only when a comparison needs them: a chunk that shares its page with a
            # passage already kept (the common duplicate) is settled without them.
            words = shingles.get(cid)
            if words is None:
                words = shingles[cid] = _shingles(chunks[cid].text)
            return words

        join_scores = join_scores if join_scores is not None else dict(fused)
        ratio = self.settings.join_adjacent
        floor = None
        for cid, score in fused:
            chunk = chunks.get(cid)
            if chunk is None:
                continue
            join_score = join_scores[cid]
            if len(kept) >= k:  # all places found: only a neighbour to join may follow
                floor = floor if floor is not None else ratio * min(place.join_score for place in kept)
                if join_score >= floor:
                    for place in kept:
                        if place.join(chunk, join_score, ratio):
                            break
                continue
            duplicate_of = None
            for other in kept:
                if _same_place(chunk, other.chunk) or _similar(words_of(cid), words_of(other.chunk.id)):
                    duplicate_of = other
                    break
            if duplicate_of is not None:
                if duplicate_of.chunk.provenance != chunk.provenance and chunk.provenance not in duplicate_of.also_in:
                    duplicate_of.also_in.append(chunk.provenance)
                else:
                    duplicate_of.join(chunk, join_score, ratio)
                continue
            kept.append(_Place(chunk, score, join_score))
        return kept

    def document_text(self, document_id: int) -> str:
        """The whole page, section or commitment a hit comes from (for a "show source" view)."""
        with self._lock:
            return self.reader.document_text(document_id)

    def close(self) -> None:
        self._encoding_pool.shutdown(wait=True)
        self.reader.close()


@dataclass
class _Place:
    """A result being assembled: its best chunk, the neighbouring chunk joined to it, and
    where else the same passage appears."""

    chunk: StoredChunk
    score: float
    join_score: float  # its fused score: a neighbour is joined by comparing fused scores
    also_in: list[Provenance] = field(default_factory=list)
    joined: StoredChunk | None = None

    def join(self, chunk: StoredChunk, join_score: float, ratio: float) -> bool:
        """Take ``chunk`` as the joined neighbour if there is none yet, it follows or precedes this
        place's chunk, and its fused score is at least ``ratio`` of this place's; True when taken."""
        if self.joined is None and _next_to(chunk, self.chunk) and join_score >= ratio * self.join_score:
            self.joined = chunk
            return True
        return False


@dataclass
class _Prepared:
    """Per question: chunks read, and their word triples and best sentences computed, ahead of need."""

    chunks: dict[int, StoredChunk] = field(default_factory=dict)
    shingles: dict[int, set[tuple[str, ...]]] = field(default_factory=dict)
    highlights: dict[int, tuple[int, int]] = field(default_factory=dict)


_WORDS = re.compile(r"\w+")
#: Passages read ahead from the top of each keyword ranking while the question is encoded.
_PREPARED_PER_RANKING = 15


@lru_cache(maxsize=4096)
def _title_terms(title: str) -> frozenset[str]:
    """A title's keyword terms, English stems (as the ranker was trained); a report's pages and a
    guide's sections share one title, so each is analysed once."""
    return frozenset(keyword_terms(title, "en"))


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return set(zip(words, words[1:], words[2:])) if len(words) >= 3 else {tuple(words)}


#: Below this many word triples a passage is too short to call a copy of another by its share of
#: triples: a running title's few words would make it a copy of every page that prints them.
_FEWEST_TRIPLES = 8


def _similar(a: set[tuple[str, ...]], b: set[tuple[str, ...]], threshold: float = 0.6) -> bool:
    """True when most of the smaller passage's word triples appear in the other (a passage of a few
    words only when the two are the same words)."""
    if not a or not b:
        return False
    if min(len(a), len(b)) < _FEWEST_TRIPLES:
        return a == b
    return len(a & b) / min(len(a), len(b)) >= threshold


def _next_to(a: StoredChunk, b: StoredChunk) -> bool:
    """Two chunks of one place that overlap or follow each other in its text."""
    return _same_place(a, b) and a.char_start <= b.char_end + 2 and b.char_start <= a.char_end + 2


def _same_place(a: StoredChunk, b: StoredChunk) -> bool:
    """Two chunks of one page, section or commitment: a reader is sent to the same place."""
    return a.document_id == b.document_id
