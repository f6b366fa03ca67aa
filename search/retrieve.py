"""Find the passages that answer a question: dense (FAISS) and keyword (SQLite FTS5, BM25)
retrieval, each restricted by the filters before ranking, fused by reciprocal rank,
exact commitment ids first, near-duplicates collapsed into "also in"."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.analysis import STEMMER_LANGUAGES, query_terms
from indexer.embedding import SentenceTransformerEncoder
from indexer.errors import IndexMismatchError
from indexer.records import Provenance, citation_label
from indexer.settings import PACKAGED_MODEL_NAME, Settings
from indexer.store import IndexReader, StoredChunk

from .answer import best_sentence
from .filters import Filters

__all__ = ["Hit", "Searcher"]

_COMMITMENT_ID = re.compile(r"\b([A-Za-z]{2,4}\d{4})\b")


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

    @property
    def citation(self) -> str:
        return citation_label(self.provenance)

    @property
    def best_sentence(self) -> str:
        return self.text[self.highlight[0]:self.highlight[1]]

    @property
    def link(self) -> str | None:
        """The official URL, at the page for PDFs; None when the source has no URL (serve the file)."""
        p = self.provenance
        if p.url and p.page and p.kind == "report" and "#" not in p.url:
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
            "commitment_id": p.commitment_id,
            "country": p.country,
            "region": p.region,
            "year": p.year,
            "url": p.url,
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
        self.reader = IndexReader(index_dir)
        manifest = self.reader.manifest
        if self.settings.model not in (PACKAGED_MODEL_NAME, manifest.model):
            raise IndexMismatchError(
                f"The index at {index_dir} was built with model '{manifest.model}' but the settings ask for "
                f"'{self.settings.model}': rebuild the index with that model, or drop the model setting."
            )
        self.encoder = encoder or SentenceTransformerEncoder(
            manifest.model, device=self.settings.device, threads=self.settings.threads)
        self._languages = tuple(lang for lang in self.reader.languages() if lang in STEMMER_LANGUAGES) or ("en",)
        self._lock = threading.Lock()  # one SQLite connection and one FAISS index, shared

    @property
    def manifest(self):
        return self.reader.manifest

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

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` that satisfy ``filters``, best first."""
        query = (query or "").strip()
        if not query:
            return []
        k = k or self.settings.results
        filters = filters or Filters()
        vector = self.encode_query(query)
        with self._lock:
            allowed = self._allowed_ids(filters)
            if allowed is not None and len(allowed) == 0:
                return []
            depth = max(self.settings.candidates, 3 * k)
            dense = self._dense(vector, depth, allowed)
            keyword = self._keyword(query, depth, filters)
            exact = self._exact_ids(query, filters)
            fused = self._fuse(dense, keyword, exact)
            chunks = self.reader.chunks_by_id(cid for cid, _ in fused[: depth])
        return self._collapse(query, fused, chunks, k)

    # -- retrievers ---------------------------------------------------------------------

    def _allowed_ids(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        where, params = filters.where()
        rows = self.reader.db.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where}", params
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def _dense(self, vector: np.ndarray, depth: int, allowed: np.ndarray | None) -> list[int]:
        import faiss

        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        depth = min(depth, self.reader.vectors.ntotal)
        if depth <= 0:
            return []
        _, ids = self.reader.vectors.search(np.ascontiguousarray(vector, dtype=np.float32), depth, params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def _keyword(self, query: str, depth: int, filters: Filters) -> list[int]:
        terms = query_terms(query, self._languages)
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        sql = "SELECT rowid FROM chunk_terms WHERE chunk_terms MATCH ?"
        params: list = [match]
        if filters.active:
            where, extra = filters.where()
            sql += f" AND rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where})"
            params += extra
        sql += " ORDER BY bm25(chunk_terms) LIMIT ?"
        params.append(depth)
        return [r[0] for r in self.reader.db.execute(sql, params)]

    def _exact_ids(self, query: str, filters: Filters) -> list[int]:
        """Chunks of commitments named by id in the question (MK0164), in document order."""
        ids = {m.upper() for m in _COMMITMENT_ID.findall(query)}
        if not ids:
            return []
        where, params = filters.where()
        rows = self.reader.db.execute(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id "
            f"WHERE UPPER(d.commitment_id) IN ({','.join('?' * len(ids))}) AND {where} ORDER BY d.id, c.ordinal",
            [*sorted(ids), *params],
        ).fetchall()
        return [r[0] for r in rows]

    def _fuse(self, dense: list[int], keyword: list[int], exact: list[int]) -> list[tuple[int, float]]:
        """Reciprocal rank fusion; chunks of a commitment named by id come first."""
        k = self.settings.rrf_k
        scores: dict[int, float] = {}
        for weight, ranking in ((self.settings.dense_weight, dense), (self.settings.keyword_weight, keyword)):
            for rank, cid in enumerate(ranking):
                scores[cid] = scores.get(cid, 0.0) + weight / (k + rank + 1)
        for rank, cid in enumerate(exact):
            scores[cid] = scores.get(cid, 0.0) + 1.0 + 1.0 / (rank + 1)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))

    # -- presentation -------------------------------------------------------------------

    def _collapse(self, query: str, fused: list[tuple[int, float]], chunks: dict[int, StoredChunk],
                  k: int) -> list[Hit]:
        """Keep the best of near-duplicate passages; list the others under "also in"."""
        kept: list[tuple[StoredChunk, float, set[str], list[Provenance]]] = []
        for cid, score in fused:
            chunk = chunks.get(cid)
            if chunk is None:
                continue
            words = _shingles(chunk.text)
            duplicate_of = None
            for other in kept:
                if _same_place(chunk, other[0]) or _similar(words, other[2]):
                    duplicate_of = other
                    break
            if duplicate_of is not None:
                if duplicate_of[0].provenance != chunk.provenance and chunk.provenance not in duplicate_of[3]:
                    duplicate_of[3].append(chunk.provenance)
                continue
            kept.append((chunk, score, words, []))
            if len(kept) >= k:
                break
        hits = []
        for rank, (chunk, score, _, also) in enumerate(kept, start=1):
            hits.append(
                Hit(rank=rank, score=score, chunk_id=chunk.id, document_id=chunk.document_id,
                    provenance=chunk.provenance, text=chunk.text, char_start=chunk.char_start,
                    char_end=chunk.char_end, language=chunk.language,
                    highlight=best_sentence(chunk.text, query, chunk.language), also_in=tuple(also))
            )
        return hits

    def document_text(self, document_id: int) -> str:
        """The whole page, section or commitment a hit comes from (for a "show source" view)."""
        with self._lock:
            return self.reader.document_text(document_id)

    def close(self) -> None:
        self.reader.close()


_WORDS = re.compile(r"\w+")


def _shingles(text: str) -> set[str]:
    words = _WORDS.findall(text.lower())
    return {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


def _similar(a: set[str], b: set[str], threshold: float = 0.6) -> bool:
    """True when most of the smaller passage's word triples appear in the other."""
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= threshold


def _same_place(a: StoredChunk, b: StoredChunk) -> bool:
    """Overlapping chunks of one page, section or commitment."""
    return a.document_id == b.document_id and a.char_start < b.char_end and b.char_start < a.char_end
