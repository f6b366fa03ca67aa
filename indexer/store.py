"""The index folder: a manifest, a FAISS file and a SQLite database, swapped in atomically.

Layout of ``index/``::

    manifest.json                  what was built, how, and which two files below hold it
    vectors-000007.faiss           FAISS, inner product; ids are SQLite chunk row ids (see below)
    chunks-000007.sqlite           files, documents, chunks, keyword index (FTS5 and BM25 postings,
                                   indexer/postings.py), failures
    .lock                          held by a running build

A build writes a new *generation* (new file names) next to the old one and only then
replaces ``manifest.json`` with ``os.replace``, which is atomic. A build that dies at
any point leaves the old manifest pointing at the old, complete files; stray files of a
dead build are removed by the next one.

The vector index type follows the number of chunks (``manifest.faiss_index`` records it):
up to ``exact_search_limit`` an exact ``IDMap2,Flat`` (4 bytes a dimension, every vector
compared); above it ``IVF{nlist},SQ8``: inverted lists over a k-means coarse quantiser, the
vectors (residuals to their list centroid) in 8-bit scalar quantisation (1 byte a dimension),
``nprobe`` lists searched per question, a hash-table direct map so ``reconstruct(id)`` works.
An incremental build adds to the trained IVF index and retrains it (from the stored,
reconstructed vectors plus the new ones) only when the corpus has outgrown or shrunk away from
its list count, or crosses the limit either way. See docs/scaling.md for the measurements.
"""

from __future__ import annotations

import contextlib
import functools
import fcntl
import json
import math
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import numpy as np

from .analysis import ANALYZER_VERSION, keyword_terms
from .headings import chunk_heading
from .errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError
from .postings import PostingsWriter, bm25_shares, has_postings, held_terms
from .records import Chunk, Document, Provenance
from .settings import Settings

__all__ = ["SCHEMA_VERSION", "IndexManifest", "IndexWriter", "IndexReader", "index_lock", "StoredChunk",
           "IndexStatistics", "ChunkFilter", "KeywordTerms", "FLAT_INDEX", "ivf_lists", "vector_index_type",
           "describe_vectors", "vector_ids"]

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"

_SCHEMA = """
CREATE TABLE files (
    source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL, kind TEXT, title TEXT,
    documents INTEGER NOT NULL, chunks INTEGER NOT NULL, warnings TEXT, indexed_at TEXT NOT NULL);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
    page INTEGER, page_label TEXT, section TEXT, commitment_id TEXT, country TEXT, region TEXT,
    year INTEGER, url TEXT, language TEXT, metadata TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE policy_areas (document_id INTEGER NOT NULL, area TEXT NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL, source TEXT NOT NULL, ordinal INTEGER NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, language TEXT NOT NULL,
    token_count INTEGER NOT NULL, text TEXT NOT NULL);
CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE failures (source TEXT PRIMARY KEY, sha256 TEXT, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bridges (
    chunk_id INTEGER PRIMARY KEY, language TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS file_countries (
    source TEXT PRIMARY KEY, country TEXT, mentions INTEGER NOT NULL, members TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS word_pieces (
    id INTEGER PRIMARY KEY CHECK (id = 1), pieces INTEGER NOT NULL, dimension INTEGER NOT NULL, vectors BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_pieces (chunk_id INTEGER PRIMARY KEY, pieces BLOB NOT NULL);
CREATE INDEX documents_source ON documents(source);
CREATE INDEX documents_commitment ON documents(commitment_id);
CREATE INDEX documents_country ON documents(country);
CREATE INDEX documents_year ON documents(year);
CREATE INDEX policy_areas_area ON policy_areas(area, document_id);
CREATE INDEX policy_areas_document ON policy_areas(document_id);
CREATE INDEX chunks_document ON chunks(document_id);
CREATE INDEX chunks_source ON chunks(source);
"""

#: SQLite page cache of a build's connection, in KiB (256 MiB).
_BUILD_CACHE_KIB = 256 * 1024

#: Indexes added after schema 1 was first released, created on the next build of an older index.
_LATER_INDEXES = """CREATE INDEX IF NOT EXISTS policy_areas_document ON policy_areas(document_id);
CREATE TABLE IF NOT EXISTS bridges (
    chunk_id INTEGER PRIMARY KEY, language TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS file_countries (
    source TEXT PRIMARY KEY, country TEXT, mentions INTEGER NOT NULL, members TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS word_pieces (
    id INTEGER PRIMARY KEY CHECK (id = 1), pieces INTEGER NOT NULL, dimension INTEGER NOT NULL, vectors BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_pieces (chunk_id INTEGER PRIMARY KEY, pieces BLOB NOT NULL);"""


@dataclass(frozen=True)
class IndexManifest:
    """manifest.json: enough to check, on load, that the index is whole and fits the model."""

    schema_version: int
    generation: int
    model: str
    dimension: int
    max_tokens: int
    chunk_tokens: int
    overlap_tokens: int
    faiss_file: str
    sqlite_file: str
    faiss_bytes: int
    sqlite_bytes: int
    files: int
    documents: int
    chunks: int
    kinds: dict[str, int]
    built_at: str
    versions: dict[str, str] = field(default_factory=dict)
    faiss_index: str = "IDMap2,Flat"
    backend: str = "torch"  # the encoder runtime the vectors came from; queries must use the same one
    analyzer: int = 1  # indexer.analysis.ANALYZER_VERSION of the stored keyword terms (1 before it was recorded)
    chunker: int = 1  # the chunker version that cut the stored chunks (the build records it; 1 before it was)
    corpus: str | None = None  # the corpus folder it was built from, relative to the index (None: not recorded)
    frontmatter_fields: str = ""  # the frontmatter_fields setting the stored documents were read with

    @classmethod
    def read(cls, index_dir: Path) -> IndexManifest:
        path = index_dir / MANIFEST
        if not path.is_file():
            if index_dir.is_file():
                raise IndexNotFoundError(f"No index at {index_dir}: it is a file; an index is the folder "
                                         f"`python -m indexer build --index FOLDER` writes.")
            if index_dir.is_dir() and any(index_dir.iterdir()):
                raise IndexNotFoundError(
                    f"No index at {index_dir}: the folder holds other files (a corpus?). Pass the index folder "
                    f"`python -m indexer build --corpus {index_dir} --index FOLDER` writes, or build one there.")
            raise IndexNotFoundError(
                f"No index at {index_dir}: build one with `python -m indexer build --index {index_dir}`."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise IndexCorruptError(
                f"The index manifest {path} is unreadable ({exc}); {rebuild_hint(index_dir)}.") from None
        if not isinstance(data, dict):
            raise IndexCorruptError(
                f"The index manifest {path} is not a JSON object; {rebuild_hint(index_dir)}.")
        if data.get("schema_version") != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"The index at {index_dir} uses format version {data.get('schema_version')}, this tool reads "
                f"version {SCHEMA_VERSION}: rebuild it with `python -m indexer build --index {index_dir}`."
            )
        try:
            manifest = cls(**data)
        except TypeError as exc:
            raise IndexCorruptError(
                f"The index manifest {path} is incomplete ({exc}); {rebuild_hint(index_dir)}.") from None
        wrong = manifest._wrong_fields()
        if wrong:
            raise IndexCorruptError(
                f"The index manifest {path} has invalid values for {', '.join(wrong)}; {rebuild_hint(index_dir)}.")
        return manifest

    def _wrong_fields(self) -> list[str]:
        """Names of fields whose value has the wrong type (a hand-edited or damaged manifest)."""
        wrong = []
        for f in fields(self):
            value = getattr(self, f.name)
            type_name = str(f.type).removesuffix(" | None")
            if value is None and type_name != str(f.type):
                continue  # an optional field left out
            kind = {"int": int, "str": str}.get(type_name, dict)
            if not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or value < 0)):
                wrong.append(f.name)
            elif f.name.endswith("_file") and (not value or Path(value).name != value):
                wrong.append(f.name)  # a bare file name in the index folder, never a path
        return wrong

    def write(self, index_dir: Path) -> None:
        tmp = index_dir / f".{MANIFEST}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, index_dir / MANIFEST)
        _fsync_dir(index_dir)


def _live_manifest_fields(index_dir: Path) -> dict:
    """The raw fields of manifest.json, or {} when there is none or it cannot be parsed."""
    try:
        data = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def rebuild_hint(index_dir: Path) -> str:
    """The one command that repairs any index problem: a build replaces an unusable index whole."""
    return f"rebuild it with `python -m indexer build --index {index_dir}`"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock; a second build is refused with a clear message."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = (index_dir / ".lock").open("a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise IndexLockedError(
                f"Another build is writing {index_dir} ({holder}). Wait for it to finish, then run again."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {_now()}")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fh.truncate(0)
        fh.close()  # closing releases the lock


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _connect(path: Path, readonly: bool = False, shared: bool = False) -> sqlite3.Connection:
    """A connection to ``path``; ``shared``: usable from any thread (the caller keeps to one at a time)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, check_same_thread=not shared)
    conn.row_factory = sqlite3.Row
    return conn


# -- the vector index ------------------------------------------------------------------------------

FLAT_INDEX = "IDMap2,Flat"
#: IVF list count: about LIST_FACTOR * sqrt(chunks), a power of two ... (1 rather than the
#: usual 4: at 1M chunks 1,024 lists train in ~11 s on 2 cores against ~90 s for 4,096, with the
#: same recall@10 from nprobe 8 on, and searching 16 of them takes under 1 ms; benchmarks/bench_scale.py)
_LIST_FACTOR = 1.0
#: ... but never fewer than this many chunks per list (FAISS's own k-means warns below 39).
_MIN_POINTS_PER_LIST = 39
#: k-means trains on at most this many sampled vectors per list (FAISS's default cap is 256).
_TRAIN_POINTS_PER_LIST = 64
#: Below this many vectors, FAISS computes inner products without BLAS; the faiss-cpu wheel sets
#: it to 128,000, which makes k-means and bulk adds (thousands of vectors at once) several times
#: slower. Lowered while a build trains or adds in bulk, and put back afterwards.
_BLAS_THRESHOLD = 20


def _ideal_lists(n: int) -> float:
    return max(1.0, min(_LIST_FACTOR * math.sqrt(n), n / _MIN_POINTS_PER_LIST))


def ivf_lists(n: int) -> int:
    """IVF list count for ``n`` vectors: ~sqrt(n) as a power of two, at least 39 vectors a list."""
    nlist = 2 ** round(math.log2(_ideal_lists(n)))
    while nlist > 1 and nlist * _MIN_POINTS_PER_LIST > n:
        nlist //= 2
    return nlist


def vector_index_type(n: int, exact_search_limit: int) -> str:
    """The FAISS index a fresh build of ``n`` vectors makes: flat up to the limit, else IVF + SQ8."""
    return FLAT_INDEX if n <= exact_search_limit else f"IVF{ivf_lists(n)},SQ8"


def describe_vectors(index) -> str:
    """The type string of a loaded FAISS index, as ``manifest.faiss_index`` records it."""
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is None:
        return FLAT_INDEX if isinstance(index, faiss.IndexIDMap2) else type(index).__name__
    ivf = faiss.downcast_index(ivf)
    if isinstance(ivf, faiss.IndexIVFScalarQuantizer) and ivf.sq.qtype == faiss.ScalarQuantizer.QT_8bit:
        return f"IVF{ivf.nlist},SQ8"
    return type(ivf).__name__


def vector_ids(index) -> np.ndarray:
    """Every id held by a flat (IDMap2) or IVF index, in storage order."""
    import faiss

    if hasattr(index, "id_map"):
        return faiss.vector_to_array(index.id_map).astype(np.int64, copy=False)
    invlists = faiss.extract_index_ivf(index).invlists
    parts = []
    for list_no in range(invlists.nlist):
        size = invlists.list_size(list_no)
        if size:
            ptr = invlists.get_ids(list_no)
            parts.append(faiss.rev_swig_ptr(ptr, size).copy())
            invlists.release_ids(list_no, ptr)
    return np.concatenate(parts).astype(np.int64, copy=False) if parts else np.zeros(0, dtype=np.int64)


def _all_vectors(index) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 vectors) of every vector in ``index``; IVF vectors come back SQ8-decoded,
    re-normalised (the quantisation moves them off the unit sphere by ~0.1%)."""
    import faiss

    ids = vector_ids(index)
    if not len(ids):
        return ids, np.zeros((0, index.d), dtype=np.float32)
    if hasattr(index, "id_map"):
        flat = faiss.downcast_index(index.index)
        vectors = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d).copy()
        return ids, vectors
    vectors = index.reconstruct_batch(ids)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return ids, vectors


@contextlib.contextmanager
def _bulk_faiss() -> Iterator[None]:
    """BLAS for batched inner products and every core, for training and bulk adds only."""
    import faiss

    threshold, threads = faiss.cvar.distance_compute_blas_threshold, faiss.omp_get_max_threads()
    faiss.cvar.distance_compute_blas_threshold = _BLAS_THRESHOLD
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.cvar.distance_compute_blas_threshold = threshold
        faiss.omp_set_num_threads(threads)


def _flat_index(dimension: int, ids: np.ndarray | None = None, vectors: np.ndarray | None = None):
    import faiss

    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if ids is not None and len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    return index


def _ivf_index(dimension: int, ids: np.ndarray, vectors: np.ndarray, seed: int = 1234):
    """IVF + SQ8 over inner product, trained on a sample of ``vectors``, holding all of them."""
    import faiss

    n = len(ids)
    nlist = ivf_lists(n)
    index = faiss.index_factory(dimension, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed  # k-means (spherical for inner product) is deterministic for a given input
    sample = min(n, nlist * _TRAIN_POINTS_PER_LIST)
    rows = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False)) if sample < n else slice(None)
    with _bulk_faiss():
        index.train(np.ascontiguousarray(vectors[rows], dtype=np.float32))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct(id) for any chunk id
        for start in range(0, n, 65536):  # add in slices: the assignment matrix stays small
            index.add_with_ids(np.ascontiguousarray(vectors[start:start + 65536], dtype=np.float32),
                               np.ascontiguousarray(ids[start:start + 65536]))
    return index


def _needs_new_lists(index, n: int) -> bool:
    """An IVF index of ``n`` vectors is retrained when the list count ``n`` calls for is twice or
    half its own (about 4x growth, or shrinking to a quarter, in the square-root regime): lists of
    4x the size make a question scan 4x more codes at the same nprobe."""
    import faiss

    nlist = faiss.extract_index_ivf(index).nlist
    ideal = _ideal_lists(n)
    return ideal >= 2 * nlist or ideal <= nlist / 2


def _remove_vector_ids(index, ids: np.ndarray) -> int:
    import faiss

    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if faiss.try_extract_index_ivf(index) is not None:  # the hash-table direct map takes an id array
        return index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids)))
    return index.remove_ids(ids)


@dataclass(frozen=True)
class FileRecord:
    """One corpus file as the index knows it."""

    source: str
    sha256: str
    size: int
    kind: str | None = None
    title: str | None = None
    documents: int = 0
    chunks: int = 0
    warnings: tuple[str, ...] = ()


class IndexWriter:
    """Builds the next generation of an index folder from the current one (or from nothing)."""

    def __init__(self, index_dir: Path, previous: IndexReader | None, dimension: int,
                 exact_search_limit: int | None = None) -> None:
        import faiss

        self.index_dir = index_dir
        self.exact_search_limit = Settings().exact_search_limit if exact_search_limit is None else exact_search_limit
        self.vector_seconds = 0.0  # FAISS work in commit (training, bulk adds, write), for the benchmarks
        # Without a usable previous index (first build, or a full rebuild after a model or
        # settings change or damage) the manifest on disk may still name a complete older index
        # that search is using: keep its files and never reuse its generation number, so a build
        # that dies leaves it exactly as it was.
        live = _live_manifest_fields(index_dir)
        live_generation = live.get("generation") if isinstance(live.get("generation"), int) else 0
        self.generation = max(previous.manifest.generation if previous else 0, live_generation) + 1
        self.faiss_name = f"vectors-{self.generation:06d}.faiss"
        self.sqlite_name = f"chunks-{self.generation:06d}.sqlite"
        self._remove_strays(previous, {v for k, v in live.items() if k.endswith("_file") and isinstance(v, str)})
        db_path = index_dir / self.sqlite_name
        if previous:
            # The sqlite3 backup API copies a consistent snapshot, page by page.
            with _connect(db_path) as target:
                previous.db.backup(target)
                # Indexes added to the schema since that index was built (each is a lookup that
                # would otherwise scan a whole table: policy areas by document, 37 ms at 1M chunks).
                target.executescript(_LATER_INDEXES)
            self.vectors = faiss.read_index(str(index_dir / previous.manifest.faiss_file))
        else:
            with _connect(db_path) as conn:
                conn.executescript(_SCHEMA)
            self.vectors = _flat_index(dimension)
        # New vectors go straight into a flat index; into an IVF one only at commit, which may
        # retrain it: until then they wait here at full precision.
        self._pending = _flat_index(dimension) if faiss.try_extract_index_ivf(self.vectors) is not None else None
        # The build stores one run of passages on a thread of its own while it embeds the next, and
        # commits from the main thread: one thread at a time, never two (indexer/build.py).
        self.db = _connect(db_path, shared=True)
        self.db.execute("PRAGMA synchronous = OFF")  # durability comes from the fsync before the swap
        self.db.execute("PRAGMA journal_mode = OFF")
        # A build rewrites B-tree pages all over a large database (postings, FTS5); SQLite's default
        # 2 MB page cache sent most of them back to disk and read them again: 1M passages' postings
        # took 432 s with it, 328 s with this (memory is taken only as pages are used).
        self.db.execute(f"PRAGMA cache_size = -{_BUILD_CACHE_KIB}")
        self.postings = PostingsWriter(self.db)  # creates (and for an older index fills) the BM25 postings
        # The renderings' own postings, filled from the renderings an older index already holds.
        self.rendering_postings = PostingsWriter(
            self.db, "rendering", stored_terms=self._rendering_terms,
            existing=lambda: self._rendering_terms(
                [r[0] for r in self.db.execute("SELECT chunk_id FROM bridges ORDER BY chunk_id")]))
        self.dimension = dimension
        row = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM chunks").fetchone()
        self._next_chunk_id = int(row[0]) + 1

    def _remove_strays(self, previous: IndexReader | None, live_files: set[str] = frozenset()) -> None:
        keep = {MANIFEST, ".lock"} | set(live_files)
        if previous:
            keep |= {previous.manifest.faiss_file, previous.manifest.sqlite_file}
        for path in self.index_dir.iterdir():
            if path.name not in keep and (path.name.startswith(("vectors-", "chunks-")) or path.name.endswith(".tmp")):
                path.unlink(missing_ok=True)

    def remove_sources(self, sources: Iterable[str]) -> int:
        """Forget every document, chunk and vector of these files; returns chunks removed."""
        removed = 0
        for source in sources:
            ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE source = ?", (source,))]
            if ids:
                _remove_vector_ids(self.vectors, np.asarray(ids, dtype=np.int64))
                if self._pending is not None:
                    self._pending.remove_ids(np.asarray(ids, dtype=np.int64))
                self.postings.remove(ids)
                self.rendering_postings.remove(ids)
                self.db.executemany("DELETE FROM chunk_terms WHERE rowid = ?", [(i,) for i in ids])
                self.db.executemany("DELETE FROM bridges WHERE chunk_id = ?", [(i,) for i in ids])
                self.db.executemany("DELETE FROM chunk_pieces WHERE chunk_id = ?", [(i,) for i in ids])
            removed += len(ids)
            self.db.execute("DELETE FROM chunks WHERE source = ?", (source,))
            self.db.execute(
                "DELETE FROM policy_areas WHERE document_id IN (SELECT id FROM documents WHERE source = ?)", (source,)
            )
            self.db.execute("DELETE FROM documents WHERE source = ?", (source,))
            self.db.execute("DELETE FROM files WHERE source = ?", (source,))
            self.db.execute("DELETE FROM failures WHERE source = ?", (source,))
            self.db.execute("DELETE FROM file_countries WHERE source = ?", (source,))
        return removed

    def add_file(self, record: FileRecord, units: list[tuple[Document, list[Chunk]]], vectors: np.ndarray) -> None:
        """Store one file's documents and their chunks, with one vector per chunk in the same order."""
        self.add_documents(units, vectors)
        self.record_file(replace(record, documents=len(units), chunks=sum(len(chunks) for _, chunks in units)))

    def add_documents(self, units: list[tuple[Document, list[Chunk]]], vectors: np.ndarray) -> None:
        """Store documents and their chunks, one vector per chunk in the same order: all of a file's
        or some of them (a large file is stored in parts as its vectors arrive; ``record_file``
        follows its last part)."""
        chunks = [chunk for _, doc_chunks in units for chunk in doc_chunks]
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk is required")
        chunk_document_ids: list[int] = []
        for document, doc_chunks in units:
            p = document.provenance
            cursor = self.db.execute(
                "INSERT INTO documents (source, kind, title, page, page_label, section, commitment_id, country,"
                " region, year, url, language, metadata, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (p.source, p.kind, p.title, p.page, p.page_label, p.section, p.commitment_id, p.country,
                 p.region, p.year, p.url, p.language, json.dumps(p.metadata, ensure_ascii=False), document.text),
            )
            self.db.executemany(
                "INSERT INTO policy_areas (document_id, area) VALUES (?, ?)",
                [(cursor.lastrowid, area) for area in p.policy_areas],
            )
            chunk_document_ids.extend([cursor.lastrowid] * len(doc_chunks))
        ids = np.arange(self._next_chunk_id, self._next_chunk_id + len(chunks), dtype=np.int64)
        self._next_chunk_id += len(chunks)
        self.db.executemany(
            "INSERT INTO chunks (id, document_id, source, ordinal, char_start, char_end, language, token_count, text)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (int(i), doc_id, c.provenance.source, c.ordinal, c.char_start, c.char_end,
                 c.language, c.token_count, c.text)
                for i, c, doc_id in zip(ids, chunks, chunk_document_ids)
            ],
        )
        terms = [keyword_terms(_keyword_text(c), c.language) for c in chunks]
        self.db.executemany("INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)",
                            [(int(i), " ".join(t)) for i, t in zip(ids, terms)])
        for i, t in zip(ids.tolist(), terms):
            self.postings.add(i, t)
        if len(chunks):
            self.add_vectors(ids, vectors)

    def record_file(self, record: FileRecord) -> None:
        """The file's row (hash, counts, warnings), written once all its documents are stored."""
        self.db.execute(
            "INSERT OR REPLACE INTO files (source, sha256, size, kind, title, documents, chunks, warnings, indexed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (record.source, record.sha256, record.size, record.kind, record.title, record.documents,
             record.chunks, json.dumps(list(record.warnings), ensure_ascii=False), _now()),
        )

    def add_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under these chunk ids (``add_file`` does it; bulk loaders that write the
        SQLite rows themselves, like benchmarks/bench_scale.py, call it directly)."""
        target = self._pending if self._pending is not None else self.vectors
        target.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, dtype=np.int64))

    def unbridged(self, target: str, languages: Iterable[str]) -> list[tuple[int, str, str]]:
        """(chunk id, language, title and text) of the passages in ``languages`` that have no
        rendering in ``target`` yet (indexer/bridge.py renders them)."""
        languages = sorted(set(languages) - {target})
        if not languages:
            return []
        marks = ",".join("?" * len(languages))
        return [(int(r[0]), r[1], r[2]) for r in self.db.execute(
            "SELECT c.id, c.language, d.title || char(10) || c.text FROM chunks c JOIN documents d"
            f" ON d.id = c.document_id WHERE c.language IN ({marks})"
            " AND NOT EXISTS (SELECT 1 FROM bridges b WHERE b.chunk_id = c.id AND b.language = ?) ORDER BY c.id",
            [*languages, target])]

    def add_bridges(self, rows: Sequence[tuple[int, str, str]], vectors: np.ndarray) -> None:
        """Store each passage's machine rendering (chunk id, target language, text), its vector and
        its keyword terms (in the target language's analysis)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = [int(cid) for cid, _, _ in rows]
        self.rendering_postings.remove(ids)  # a passage rendered again is counted once
        self.db.executemany("INSERT OR REPLACE INTO bridges (chunk_id, language, text, vector) VALUES (?,?,?,?)",
                            [(int(cid), language, text, vectors[at].tobytes())
                             for at, (cid, language, text) in enumerate(rows)])
        for cid, language, text in rows:
            self.rendering_postings.add(int(cid), keyword_terms(text, language))

    def _rendering_terms(self, ids: Sequence[int]) -> list[tuple[int, list[str]]]:
        """(chunk id, keyword terms of its rendering) of those of ``ids`` that have one."""
        out = []
        for start in range(0, len(ids), 500):
            part = [int(i) for i in ids[start:start + 500]]
            out += [(int(cid), keyword_terms(text, language)) for cid, language, text in self.db.execute(
                f"SELECT chunk_id, language, text FROM bridges WHERE chunk_id IN ({','.join('?' * len(part))})", part)]
        return out

    def countries(self) -> tuple[str, ...]:
        """Every member a document of the index being written carries (indexer/countries.py)."""
        return _countries(self.db)

    def commitment_members(self) -> list[tuple[str, str]]:
        """(commitment id, member) of every document that carries both (indexer/countries.py)."""
        return _commitment_members(self.db)

    def unplaced_texts(self, members: str) -> Iterator[tuple[str, str, str | None]]:
        """(file, passage, commitment id) for every passage of the files none of whose documents
        carries a member and that were not yet looked at against the members ``members`` stands for
        (new and changed files, or all when the index's members changed): the passage's rendering in
        the model's language where it has one, else its title and text; the id its document carries,
        if any."""
        yield from self.db.execute(
            "SELECT d.source, COALESCE(b.text, d.title || char(10) || c.text), d.commitment_id FROM chunks c"
            " JOIN documents d ON d.id = c.document_id LEFT JOIN bridges b ON b.chunk_id = c.id"
            f" WHERE {_UNPLACED} ORDER BY c.id", (members,))

    def set_file_countries(self, rows: Sequence[tuple[str, str | None, int]], members: str) -> None:
        """Record what indexer/countries.py found for these files: (file, member or None, mentions),
        looked at against the members ``members`` stands for."""
        self.db.executemany("INSERT OR REPLACE INTO file_countries (source, country, mentions, members)"
                            " VALUES (?,?,?,?)", [(*row, members) for row in rows])

    def has_word_pieces(self) -> bool:
        return _has_word_pieces(self.db)

    def set_word_pieces(self, table: np.ndarray) -> None:
        """Keep the model's word-piece table (indexer/wordpieces.py), one float16 row per piece."""
        table = np.ascontiguousarray(table, dtype=np.float16)
        self.db.execute("INSERT OR REPLACE INTO word_pieces (id, pieces, dimension, vectors) VALUES (1,?,?,?)",
                        (table.shape[0], table.shape[1], table.tobytes()))

    def chunks_without_pieces(self) -> Iterator[tuple[int, str]]:
        """(chunk id, text) of the passages whose word pieces are not recorded yet (indexer/wordpieces.py)."""
        yield from self.db.execute("SELECT c.id, c.text FROM chunks c WHERE NOT EXISTS"
                                   " (SELECT 1 FROM chunk_pieces p WHERE p.chunk_id = c.id) ORDER BY c.id")

    def set_chunk_pieces(self, rows: Sequence[tuple[int, np.ndarray]]) -> None:
        """Record each passage's distinct word pieces (chunk id, sorted piece ids)."""
        self.db.executemany("INSERT OR REPLACE INTO chunk_pieces (chunk_id, pieces) VALUES (?,?)",
                            [(int(cid), np.asarray(pieces, dtype=np.int32).tobytes()) for cid, pieces in rows])

    @property
    def vector_count(self) -> int:
        return self.vectors.ntotal + (self._pending.ntotal if self._pending is not None else 0)

    def _final_vectors(self):
        """The index to write: the kind the vector count calls for, trained anew only when needed."""
        n = self.vector_count
        is_ivf = self._pending is not None
        if not is_ivf and n <= self.exact_search_limit:
            return self.vectors  # flat, and stays flat
        if is_ivf and n > self.exact_search_limit and not _needs_new_lists(self.vectors, n):
            if self._pending.ntotal:
                ids, vectors = _all_vectors(self._pending)
                with _bulk_faiss():
                    self.vectors.add_with_ids(vectors, ids)
            return self.vectors
        # Crossing the limit either way, or an IVF index whose lists no longer fit: rebuild from
        # every stored vector (IVF ones decoded from SQ8) plus the new ones.
        ids, vectors = _all_vectors(self.vectors)
        if is_ivf and self._pending.ntotal:
            more_ids, more = _all_vectors(self._pending)
            ids, vectors = np.concatenate([ids, more_ids]), np.concatenate([vectors, more])
        if n <= self.exact_search_limit:
            return _flat_index(self.dimension, ids, vectors)
        order = np.argsort(ids, kind="stable")  # the same vectors give the same index, whatever their order
        return _ivf_index(self.dimension, ids[order], vectors[order])

    def clear_failures(self) -> None:
        self.db.execute("DELETE FROM failures")

    def record_failure(self, source: str, reason: str, sha256: str | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO failures (source, sha256, reason, at) VALUES (?,?,?,?)",
            (source, sha256, reason, _now()),
        )

    def commit(self, **manifest_fields) -> IndexManifest:
        """Write the FAISS file, make both files durable, then swap the manifest in."""
        import faiss

        self.postings.flush()
        self.rendering_postings.flush()
        self.db.commit()
        counts = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM chunks)"
        ).fetchone()
        kinds = dict(self.db.execute("SELECT kind, COUNT(*) FROM documents GROUP BY kind").fetchall())
        if counts[2] != self.vector_count:
            raise IndexCorruptError(f"internal error: {counts[2]} chunks but {self.vector_count} vectors")
        self.db.close()
        started = time.perf_counter()
        self.vectors, self._pending = self._final_vectors(), None
        faiss_path = self.index_dir / self.faiss_name
        faiss.write_index(self.vectors, str(faiss_path))
        self.vector_seconds = time.perf_counter() - started
        for path in (faiss_path, self.index_dir / self.sqlite_name):
            with path.open("rb+") as fh:
                os.fsync(fh.fileno())
        manifest = IndexManifest(
            schema_version=SCHEMA_VERSION,
            generation=self.generation,
            dimension=self.dimension,
            faiss_file=self.faiss_name,
            sqlite_file=self.sqlite_name,
            faiss_bytes=faiss_path.stat().st_size,
            sqlite_bytes=(self.index_dir / self.sqlite_name).stat().st_size,
            files=counts[0],
            documents=counts[1],
            chunks=counts[2],
            kinds=kinds,
            built_at=_now(),
            faiss_index=describe_vectors(self.vectors),
            analyzer=ANALYZER_VERSION,
            **manifest_fields,
        )
        manifest.write(self.index_dir)
        return manifest

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        for name in (self.faiss_name, self.sqlite_name):
            (self.index_dir / name).unlink(missing_ok=True)


_METADATA_DECODER = json.JSONDecoder()


def _read_metadata(stored: str) -> dict:
    """A document's metadata column (json.dumps output, so no surrounding whitespace to skip)."""
    return {} if stored == "{}" else _METADATA_DECODER.raw_decode(stored)[0]


#: The documents ``d`` of files none of whose documents carries a member ...
_WITHOUT_MEMBER = "d.source NOT IN (SELECT source FROM documents WHERE country IS NOT NULL)"
#: ... and not yet looked at against the members (and commitment ids) a key stands for (indexer/countries.py).
_UNPLACED = (_WITHOUT_MEMBER +
             " AND NOT EXISTS (SELECT 1 FROM file_countries f WHERE f.source = d.source AND f.members = ?)")


def _commitment_members(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return db.execute("SELECT DISTINCT commitment_id, country FROM documents"
                      " WHERE commitment_id IS NOT NULL AND country IS NOT NULL").fetchall()


def _has_word_pieces(db: sqlite3.Connection) -> bool:
    # An index built before the table existed has none (or, once upgraded, an empty one).
    if db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('word_pieces', 'chunk_pieces')").fetchone()[0] < 2:
        return False
    return db.execute("SELECT 1 FROM word_pieces").fetchone() is not None


def _countries(db: sqlite3.Connection) -> tuple[str, ...]:
    """The members the documents carry, as their loaders spelt them (the writer's and the reader's)."""
    return tuple(r[0] for r in db.execute("SELECT DISTINCT country FROM documents WHERE country IS NOT NULL"))


def _keyword_text(chunk: Chunk) -> str:
    p = chunk.provenance
    # A PDF page's running lines (moved out of its text by the loader) stay findable by their words.
    extras = [chunk_heading(p), p.section or "", p.commitment_id or "", p.country or "",
              p.metadata.get("running lines", "")]
    return " ".join(extras) + " " + chunk.text


@dataclass(frozen=True)
class StoredChunk:
    """A chunk read back from the index, with its provenance."""

    id: int
    provenance: Provenance
    text: str
    char_start: int
    char_end: int
    language: str
    document_id: int


@dataclass(frozen=True)
class IndexStatistics:
    """What an index holds, for a status panel."""

    commitments_by_country: tuple[tuple[str, int], ...]  # member (or "(none)"), distinct commitments, most first
    files_by_kind: dict[str, int]
    failures: tuple[tuple[str, str], ...]  # (source, reason) of files the last build could not read, by source
    chunks_by_language: tuple[tuple[str, int], ...]  # most passages first
    # (file, commitment records) of the files that hold records, most first: what a comparison covers
    commitment_files: tuple[tuple[str, int], ...] = ()


class ChunkFilter(Protocol):
    """What a search may restrict passages to (search.Filters is one): each tuple matches any of its
    values, case aside; empty or None means no restriction."""

    country: tuple[str, ...]
    region: tuple[str, ...]
    year_from: int | None
    year_to: int | None
    kind: tuple[str, ...]
    policy_area: tuple[str, ...]
    language: tuple[str, ...]


#: A document's member: the one its loader gave it, else the one its file's text names
#: (indexer/countries.py), so a country filter keeps a Guatemalan report that no field labels.
_MEMBER = "COALESCE(d.country, (SELECT f.country FROM file_countries f WHERE f.source = d.source))"
#: Commitments counted once each: a tracker's commitment page is several documents (the record and
#: its progress reports) of one commitment id, an export's record one document.
_RECORDS = "COUNT(DISTINCT COALESCE(d.commitment_id, 'document ' || d.id))"
#: ... a document's region: its own, else the one the export's records give that member.
_REGION = (f"COALESCE(d.region, (SELECT r.region FROM documents r WHERE r.country = {_MEMBER} "
           "AND r.region IS NOT NULL LIMIT 1))")


def _filter_clause(filters: ChunkFilter | None, placed: bool = True) -> tuple[str, list]:
    """SQL condition over ``chunks c JOIN documents d`` for ``filters``, and its parameters ("1": none).
    ``placed``: the index records the member each file's text names (False for one built before)."""
    if filters is None:
        return "1", []
    clauses: list[str] = []
    params: list = []
    for column, values in ((_MEMBER if placed else "d.country", filters.country),
                           (_REGION if placed else "d.region", filters.region),
                           ("d.kind", filters.kind), ("c.language", filters.language)):
        if values:
            clauses.append(f"LOWER({column}) IN ({','.join('?' * len(values))})")
            params.extend(v.lower() for v in values)
    if filters.year_from is not None:
        clauses.append("d.year >= ?")
        params.append(filters.year_from)
    if filters.year_to is not None:
        clauses.append("d.year <= ?")
        params.append(filters.year_to)
    if filters.policy_area:
        marks = ",".join("?" * len(filters.policy_area))
        clauses.append(f"d.id IN (SELECT document_id FROM policy_areas WHERE LOWER(area) IN ({marks}))")
        params.extend(v.lower() for v in filters.policy_area)
    return (" AND ".join(clauses) or "1"), params


@dataclass(frozen=True)
class KeywordTerms:
    """Which of a question's terms some passages hold: how much of a question each passage covers."""

    passages: int  # passages in the index
    frequency: dict[str, int]  # term -> passages holding it (terms no passage holds left out)
    held: dict[int, set[str]]  # chunk id -> the terms it holds (of those asked about)


class IndexReader:
    """Opens an index folder read-only after checking that its parts agree.

    Safe to share between threads: every read of the one SQLite connection holds the reader's lock.

    ``nprobe``: IVF lists searched per question when the vector index is IVF (default: the
    ``nprobe`` setting's default); ignored by a flat index.
    """

    def __init__(self, index_dir: Path | str, nprobe: int | None = None) -> None:
        import faiss

        self.index_dir = Path(index_dir)
        self.manifest = IndexManifest.read(self.index_dir)
        faiss_path = self.index_dir / self.manifest.faiss_file
        db_path = self.index_dir / self.manifest.sqlite_file
        hint = rebuild_hint(self.index_dir)
        for path, recorded in ((faiss_path, self.manifest.faiss_bytes), (db_path, self.manifest.sqlite_bytes)):
            if not path.is_file():
                raise IndexCorruptError(f"The file {path} named by the index manifest is missing; {hint}.")
            # Both files are written once and never changed: another size means a truncated copy,
            # a damaged disk or a hand edit (and FAISS may crash on a truncated file).
            size = path.stat().st_size
            if size != recorded:
                raise IndexCorruptError(
                    f"The file {path} is {size:,} bytes but the build wrote {recorded:,}, so it was changed or "
                    f"damaged afterwards; {hint}.")
        try:
            self.vectors = faiss.read_index(str(faiss_path))
        except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError with C++ detail
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise IndexCorruptError(f"The vector file {faiss_path} is damaged ({first}); {hint}.") from None
        #: The IVF part of the vector index, or None for an exact (flat) one.
        self.ivf = faiss.try_extract_index_ivf(self.vectors)
        self.nprobe = Settings().nprobe if nprobe is None else max(1, int(nprobe))
        if self.ivf is not None:
            self.ivf.nprobe = min(self.nprobe, self.ivf.nlist)
        self.db = _connect(db_path, readonly=True)
        #: Held around every use of ``db``; re-entrant so a method may call another.
        self.lock = threading.RLock()
        try:
            self.check()
        except BaseException:
            self.db.close()
            raise

    def check(self) -> None:
        """Raise IndexCorruptError or IndexMismatchError when the parts disagree."""
        m = self.manifest
        hint = rebuild_hint(self.index_dir)
        if self.vectors.d != m.dimension:
            raise IndexMismatchError(
                f"The vectors in {self.index_dir} have {self.vectors.d} dimensions but the manifest says "
                f"{m.dimension}: {hint}."
            )
        kind = describe_vectors(self.vectors)
        if kind != m.faiss_index:
            raise IndexCorruptError(
                f"The vector file in {self.index_dir} holds an {kind} index but the manifest says {m.faiss_index}: {hint}.")
        try:
            rows = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"The database in {self.index_dir} is damaged ({exc}); {hint}.") from None
        if not (rows == self.vectors.ntotal == m.chunks):
            raise IndexCorruptError(
                f"The index at {self.index_dir} is inconsistent: {rows} chunks in SQLite, {self.vectors.ntotal} "
                f"vectors in FAISS, {m.chunks} in the manifest. {hint[:1].upper()}{hint[1:]}."
            )

    def verify(self, deep: bool = True) -> list[str]:
        """What a load does not check, as short phrases; [] when the index is whole.

        Always: every FAISS id is a SQLite chunk and the reverse, and the manifest's file and
        document counts hold. ``deep`` adds SQLite's own page check and the keyword index: it
        reads every page once, so it costs about as much as the page copy a build makes anyway.
        """
        with self.lock:
            return self._verify(deep)

    def _verify(self, deep: bool) -> list[str]:
        m = self.manifest
        problems: list[str] = []
        try:
            files, documents = self.db.execute(
                "SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM documents)").fetchone()
            if (files, documents) != (m.files, m.documents):
                problems.append(f"the database holds {files} files and {documents} documents but the manifest "
                                f"says {m.files} and {m.documents}")
            stored_ids = np.sort(vector_ids(self.vectors))
            chunk_ids = np.asarray([r[0] for r in self.db.execute("SELECT id FROM chunks ORDER BY id")],
                                   dtype=np.int64)
            if not np.array_equal(stored_ids, chunk_ids):
                problems.append("the vectors in FAISS do not belong to the passages in SQLite (ids differ)")
            if deep:
                result = [str(r[0]) for r in self.db.execute("PRAGMA quick_check")]
                if result != ["ok"]:
                    lines = [line.strip() for row in result for line in row.splitlines()
                             if line.strip() and not line.startswith("***")]  # "*** in database main ***"
                    more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
                    problems.append(f"SQLite reports damage ({lines[0] if lines else 'unknown'}{more})")
                terms, orphans = self.db.execute(
                    "SELECT (SELECT COUNT(*) FROM chunk_terms),"
                    " (SELECT COUNT(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents))").fetchone()
                if terms != m.chunks:
                    problems.append(f"the keyword index has {terms} entries for {m.chunks} passages")
                if has_postings(self.db):
                    counted = self.db.execute("SELECT passages FROM keyword_totals").fetchone()
                    if counted is None or counted[0] != m.chunks:
                        problems.append(f"the keyword postings count {counted[0] if counted else 'no'} passages "
                                        f"for {m.chunks}")
                if has_postings(self.db, "rendering") and self._has_bridges:
                    counted, rendered = self.db.execute(
                        "SELECT (SELECT passages FROM rendering_totals), (SELECT COUNT(*) FROM bridges)").fetchone()
                    if counted != rendered:
                        problems.append(f"the renderings' keyword postings count {counted} passages for {rendered}")
                if orphans:
                    problems.append(f"{orphans} passages belong to no document")
        except sqlite3.DatabaseError as exc:
            problems.append(f"the database is damaged ({exc})")
        return problems

    def search_vectors(self, query: np.ndarray, k: int,
                       allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` stored vectors nearest ``query`` (one row), among ``allowed``
        chunk ids when given; ids of -1 pad a short answer.

        An IVF index searches ``nprobe`` lists, more under a filter: with a fraction f of the
        chunks allowed, nprobe / f lists (up to all of them), so a selective filter (one country,
        one year) still finds its passages instead of the few that happen to sit in the nearest lists.
        """
        import faiss

        query = np.ascontiguousarray(np.atleast_2d(query), dtype=np.float32)
        selector = faiss.IDSelectorBatch(allowed) if allowed is not None else None
        if self.ivf is None:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        elif selector is None:
            params = None  # ivf.nprobe, set at load
        else:
            share = max(len(allowed), 1) / max(self.vectors.ntotal, 1)
            nprobe = min(self.ivf.nlist, max(self.ivf.nprobe, math.ceil(self.ivf.nprobe / share)))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        return self.vectors.search(query, k, params=params)

    def reconstruct(self, ids: Iterable[int]) -> np.ndarray:
        """The stored vectors of these chunk ids, one row each (IVF: decoded from SQ8, within ~1e-3)."""
        ids = np.ascontiguousarray(list(ids), dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.vectors.reconstruct_batch(ids)

    def file_hashes(self) -> dict[str, str]:
        with self.lock:
            return dict(self.db.execute("SELECT source, sha256 FROM files").fetchall())

    def failures(self) -> dict[str, tuple[str | None, str]]:
        """source -> (sha256 of the failing version, reason) for files the last build could not read."""
        with self.lock:
            return {r[0]: (r[1], r[2]) for r in self.db.execute("SELECT source, sha256, reason FROM failures")}

    @functools.cached_property
    def _has_bridges(self) -> bool:
        # An index built before renderings existed has no bridges table. Asked once: a generation
        # never changes, and the ranker reads renderings for every question.
        with self.lock:
            return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'bridges'").fetchone() is not None

    @functools.cached_property
    def _member(self) -> str:
        """The SQL for a document ``d``'s member: its own, else its file's (_MEMBER), where the index
        records files' members."""
        return _MEMBER if self.has_file_countries else "d.country"

    @functools.cached_property
    def has_file_countries(self) -> bool:
        """False for an index built before files were given the member their text names (asked once:
        a generation never changes)."""
        with self.lock:
            return self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'file_countries'").fetchone() is not None

    def commitment_members(self) -> list[tuple[str, str]]:
        """(commitment id, member) of every document that carries both (indexer/countries.py)."""
        with self.lock:
            return _commitment_members(self.db)

    def commitment_titles(self, commitment_ids: Sequence[str]) -> dict[str, str]:
        """Each commitment's own title, where the index holds its record as a whole (the export's row, a
        tracker's page for the commitment) and not only its parts (a tracker's sub-commitment pages,
        titled by their own sentence): commitment id -> title."""
        ids = list(dict.fromkeys(commitment_ids))
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        with self.lock:
            rows = self.db.execute(
                f"SELECT commitment_id, MIN(title) FROM documents WHERE kind = 'commitment' AND commitment_id IN ({marks})"
                " AND COALESCE(json_extract(metadata, '$.\"record id\"'), commitment_id) = commitment_id"
                " GROUP BY commitment_id", ids).fetchall()
        return {cid: title for cid, title in rows if title}

    def unplaced_count(self, members: str) -> int:
        """How many files lack a member and were not yet looked at against the key ``members``
        (indexer/countries.py); every file without one when the index predates the stage."""
        with self.lock:
            if not self.has_file_countries:
                return int(self.db.execute(f"SELECT COUNT(DISTINCT d.source) FROM documents d WHERE {_WITHOUT_MEMBER}"
                                           ).fetchone()[0])
            return int(self.db.execute(f"SELECT COUNT(DISTINCT d.source) FROM documents d WHERE {_UNPLACED}",
                                       (members,)).fetchone()[0])

    def bridges(self, target: str) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, their vectors) of the passages rendered into ``target`` at build time (none
        in an index built without them)."""
        with self.lock:
            if not self._has_bridges:
                rows = []
            else:
                rows = self.db.execute("SELECT chunk_id, vector FROM bridges WHERE language = ? ORDER BY chunk_id",
                                       (target,)).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if not rows:
            return ids, np.zeros((0, self.manifest.dimension), dtype=np.float32)
        return ids, np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def renderings(self, target: str, chunk_ids: Iterable[int]) -> dict[int, str]:
        """chunk id -> its rendering into ``target`` (indexer/bridge.py), for those of the passages that have one."""
        ids = [int(c) for c in chunk_ids]
        if not ids:
            return {}
        with self.lock:
            if not self._has_bridges:
                return {}
            rows = self.db.execute(f"SELECT chunk_id, text FROM bridges WHERE language = ? AND chunk_id IN "
                                   f"({','.join('?' * len(ids))})", [target, *ids]).fetchall()
        return {int(cid): text for cid, text in rows}

    def unbridged_count(self, target: str, languages: Iterable[str]) -> int:
        """How many passages in ``languages`` have no rendering in ``target`` (0 when all have)."""
        languages = sorted(set(languages) - {target})
        if not languages:
            return 0
        marks = ",".join("?" * len(languages))
        with self.lock:
            has_table = self._has_bridges
            where = "" if not has_table else \
                " AND NOT EXISTS (SELECT 1 FROM bridges b WHERE b.chunk_id = c.id AND b.language = ?)"
            return int(self.db.execute(f"SELECT COUNT(*) FROM chunks c WHERE c.language IN ({marks}){where}",
                                       [*languages, *([target] if has_table else [])]).fetchone()[0])

    def passages_in(self, language: str | None) -> list[tuple[str, str, bool]]:
        """(document title, text, rendered) of every passage readable in ``language``, in id order: a
        passage written in it as it is, one in another language by its rendering (indexer/bridge.py;
        ``rendered`` True, and passages without one left out). ``None``: every passage as written."""
        if language is None:
            with self.lock:
                rows = self.db.execute("SELECT d.title, c.text FROM chunks c JOIN documents d"
                                       " ON d.id = c.document_id ORDER BY c.id").fetchall()
            return [(title or "", text, False) for title, text in rows]
        with self.lock:
            has_table = self._has_bridges
            rendering = "b.text" if has_table else "NULL"
            join = " LEFT JOIN bridges b ON b.chunk_id = c.id AND b.language = ?" if has_table else ""
            rows = self.db.execute(
                f"SELECT d.title, c.language, c.text, {rendering} FROM chunks c JOIN documents d ON d.id = c.document_id"
                f"{join} ORDER BY c.id", [language] if has_table else []).fetchall()
        return [(title or "", text if written == language else rendered, written != language)
                for title, written, text, rendered in rows if written == language or rendered]

    def languages(self) -> tuple[str, ...]:
        with self.lock:
            return tuple(r[0] for r in self.db.execute("SELECT DISTINCT language FROM chunks ORDER BY 1"))

    def chunks_by_id(self, ids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        # Named columns, not d.*: a document's whole text (a page, a commitment) is not needed
        # here and copying it out of SQLite for every candidate cost more than the rest of the row.
        # Plain tuples, read by position: a question reads 20-60 rows of 18 fields, and lookups
        # by name on sqlite3.Row were a third of this method's time.
        areas: dict[int, list[str]] = {}
        # A passage's member is its own, else its file's (what a country filter matched it on).
        member = self._member
        with self.lock:
            cursor = self.db.cursor()
            cursor.row_factory = None
            rows = cursor.execute(
                "SELECT c.id, c.text, c.char_start, c.char_end, c.language, c.document_id, d.source, d.kind, "
                f"d.title, d.page, d.page_label, d.section, d.commitment_id, {member}, d.region, d.year, d.url, "
                f"d.metadata FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})",
                ids,
            ).fetchall()
            doc_ids = sorted({r[5] for r in rows})
            if doc_ids:
                for doc_id, area in cursor.execute(
                    f"SELECT document_id, area FROM policy_areas WHERE document_id IN ({','.join('?' * len(doc_ids))})",
                    doc_ids,
                ):
                    areas.setdefault(doc_id, []).append(area)
        out = {}
        for (cid, text, char_start, char_end, language, document_id, source, kind, title, page, page_label,
             section, commitment_id, country, region, year, url, metadata) in rows:
            provenance = Provenance(
                source=source, kind=kind, title=title, page=page, page_label=page_label, section=section,
                commitment_id=commitment_id, country=country, region=region, year=year, url=url,
                language=language, policy_areas=tuple(areas.get(document_id, ())),
                metadata=_read_metadata(metadata),
            )
            out[cid] = StoredChunk(cid, provenance, text, char_start, char_end, language, document_id)
        return out

    def document_text(self, document_id: int) -> str:
        with self.lock:
            row = self.db.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()
        return row[0] if row else ""

    def document_span(self, document_id: int, start: int, end: int) -> str:
        """``document_text(document_id)[start:end]``, without reading the rest of the document."""
        with self.lock:
            row = self.db.execute("SELECT substr(text, ?, ?) FROM documents WHERE id = ?",
                                  (start + 1, max(end - start, 0), document_id)).fetchone()
        return row[0] if row else ""

    def twins_in_other_languages(self, chunk_ids: Iterable[int]) -> dict[int, list[int]]:
        """chunk id -> the passages of the same record in the file's other languages, for those of
        ``chunk_ids`` whose section the file gives again in another language (a bilingual tracker's
        English and French copies of one record): each copy's passage at the same place in its order
        (its last when it has fewer), for a result's "also in"."""
        ids = [int(i) for i in chunk_ids]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self.lock:
            pairs = self.db.execute(
                "SELECT c.id, c.document_id, e.id FROM chunks c JOIN documents d ON d.id = c.document_id "
                "JOIN documents e ON e.source = d.source AND e.section = d.section AND e.id != d.id "
                "AND e.page IS d.page "
                f"WHERE c.id IN ({marks}) AND d.section IS NOT NULL AND d.section != '' "
                "AND EXISTS (SELECT 1 FROM chunks t WHERE t.document_id = e.id AND t.language != c.language)",
                ids).fetchall()
            if not pairs:
                return {}
            documents = sorted({doc for _, doc, _ in pairs} | {twin for _, _, twin in pairs})
            rows = self.db.execute(
                f"SELECT document_id, id FROM chunks WHERE document_id IN ({','.join('?' * len(documents))}) "
                "ORDER BY document_id, char_start, id", documents).fetchall()
        in_order: dict[int, list[int]] = {}
        for document_id, chunk_id in rows:
            in_order.setdefault(document_id, []).append(chunk_id)
        out: dict[int, list[int]] = {}
        for chunk_id, document_id, twin in pairs:
            if in_order.get(twin):
                at = in_order[document_id].index(chunk_id)
                out.setdefault(chunk_id, []).append(in_order[twin][min(at, len(in_order[twin]) - 1)])
        return out

    def has_word_pieces(self) -> bool:
        """False for an index built before the word-piece table existed (its next build adds it)."""
        return self._pieces_recorded

    @functools.cached_property
    def _pieces_recorded(self) -> bool:
        # Asked once: a generation never changes, and the ranker asks for every question.
        with self.lock:
            return _has_word_pieces(self.db)

    @functools.cached_property
    def word_pieces(self) -> np.ndarray | None:
        """The model's word-piece table (float16, one row per piece; indexer/wordpieces.py), or None
        for an index built before it existed. Read once: a generation never changes."""
        if not self._pieces_recorded:
            return None
        with self.lock:
            pieces, dimension, data = self.db.execute("SELECT pieces, dimension, vectors FROM word_pieces").fetchone()
        return np.frombuffer(data, dtype=np.float16).reshape(pieces, dimension)

    def chunk_pieces(self, chunk_ids: Iterable[int]) -> dict[int, np.ndarray]:
        """chunk id -> its distinct word pieces (sorted piece ids), for the passages that have them recorded."""
        ids = [int(c) for c in chunk_ids]
        if not ids:
            return {}
        if not self._pieces_recorded:
            return {}
        with self.lock:
            rows = self.db.execute(f"SELECT chunk_id, pieces FROM chunk_pieces WHERE chunk_id IN ({','.join('?' * len(ids))})",
                                   ids).fetchall()
        return {int(cid): np.frombuffer(data, dtype=np.int32) for cid, data in rows}

    @property
    def has_postings(self) -> bool:
        """True when the index holds keyword postings (indexes built before them do not)."""
        with self.lock:
            return has_postings(self.db)

    def countries(self) -> tuple[str, ...]:
        """Every country or member a document names."""
        with self.lock:
            return _countries(self.db)

    def facets(self) -> dict[str, list]:
        """The values each filter can take (and the years present), sorted, blanks left out."""
        queries = {
            "country": (f"SELECT DISTINCT {_MEMBER} FROM documents d ORDER BY 1" if self.has_file_countries
                        else "SELECT DISTINCT country FROM documents ORDER BY 1"),
            "region": "SELECT DISTINCT region FROM documents ORDER BY 1",
            "kind": "SELECT DISTINCT kind FROM documents ORDER BY 1",
            "policy_area": "SELECT DISTINCT area FROM policy_areas ORDER BY 1",
            "language": "SELECT DISTINCT language FROM chunks ORDER BY 1",
            "year": "SELECT DISTINCT year FROM documents ORDER BY 1",
        }
        with self.lock:
            return {name: [r[0] for r in self.db.execute(sql).fetchall() if r[0] not in (None, "")]
                    for name, sql in queries.items()}

    def allowed_chunks(self, filters: ChunkFilter) -> np.ndarray:
        """The ids of the chunks ``filters`` leave."""
        where, params = _filter_clause(filters, self.has_file_countries)
        with self.lock:
            rows = self.db.execute(
                f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where}", params
            ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def commitment_chunks(self, commitment_ids: Sequence[str], filters: ChunkFilter | None = None) -> list[int]:
        """Chunk ids of the commitments with these ids (case aside), in document order."""
        if not commitment_ids:
            return []
        where, params = _filter_clause(filters, self.has_file_countries)
        with self.lock:
            return [r[0] for r in self.db.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE UPPER(d.commitment_id) "
                f"IN ({','.join('?' * len(commitment_ids))}) AND {where} ORDER BY d.id, c.ordinal",
                [*commitment_ids, *params])]

    def numbered_commitment_chunks(self, country: str, number: str, filters: ChunkFilter | None = None,
                                   ) -> list[int]:
        """Chunk ids of a member's commitments with this number in their action plan, latest first."""
        where, params = _filter_clause(filters, self.has_file_countries)
        with self.lock:
            return [r[0] for r in self.db.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.country = ? AND "
                f"json_extract(d.metadata, '$.commitment_number') = ? AND {where} "
                "ORDER BY d.year DESC, d.id, c.ordinal", [country, number, *params])]

    def country_and_year(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str | None, int | None]]:
        """chunk id -> its document's (country, year): the member its loader gave it, or else the one
        its file's text names (indexer/countries.py)."""
        ids = [int(i) for i in chunk_ids]
        if not ids:
            return {}
        with self.lock:
            placed = self.has_file_countries
            country = "COALESCE(d.country, f.country)" if placed else "d.country"
            join = " LEFT JOIN file_countries f ON f.source = d.source" if placed else ""
            rows = self.db.execute(
                f"SELECT c.id, {country}, d.year FROM chunks c JOIN documents d ON d.id = c.document_id{join} "
                f"WHERE c.id IN ({','.join('?' * len(ids))})", ids).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def keyword_shares(self, terms: Sequence[str], depth: int, allowed: np.ndarray | None = None,
                       ) -> dict[int, float]:
        """chunk id -> BM25 score, as a share of the question's full match, of the ``depth`` best
        passages holding any of ``terms`` (among ``allowed``), best first (indexer/postings.py)."""
        with self.lock:
            return bm25_shares(self.db, terms, depth, allowed)

    def rendering_shares(self, terms: Sequence[str], depth: int, allowed: np.ndarray | None = None,
                         ) -> dict[int, float]:
        """As ``keyword_shares``, over the passages' machine renderings (indexer/bridge.py): ``terms``
        in the renderings' language. Empty for an index built before their postings existed."""
        with self.lock:
            if not self.has_rendering_postings:
                return {}
            return bm25_shares(self.db, terms, depth, allowed, table="rendering")

    @functools.cached_property
    def has_rendering_postings(self) -> bool:
        """False for an index built before the renderings' postings existed (asked once: a
        generation never changes)."""
        with self.lock:
            return has_postings(self.db, "rendering")

    def held_terms(self, terms: Sequence[str], chunk_ids: Sequence[int]) -> KeywordTerms:
        """Which of ``terms`` each of ``chunk_ids`` holds, and how many passages hold each."""
        with self.lock:
            return KeywordTerms(*held_terms(self.db, terms, chunk_ids))

    @functools.cached_property
    def commitment_files(self) -> tuple[tuple[str, int], ...]:
        """(file, commitment records) of the files that hold records, most first: what a comparison
        covers (an index generation never changes, so it is read once)."""
        with self.lock:
            rows = self.db.execute(f"SELECT source, {_RECORDS} FROM documents d WHERE kind = 'commitment' "
                                   "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        return tuple((r[0], r[1]) for r in rows)

    def statistics(self) -> IndexStatistics:
        with self.lock:
            db = self.db
            by_country = db.execute(
                f"SELECT COALESCE({self._member}, '(none)'), {_RECORDS} FROM documents d WHERE kind = 'commitment' "
                "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
            files_by_kind = db.execute("SELECT kind, COUNT(*) FROM files GROUP BY kind").fetchall()
            failures = db.execute("SELECT source, reason FROM failures ORDER BY source").fetchall()
            languages = db.execute("SELECT language, COUNT(*) FROM chunks GROUP BY 1 ORDER BY 2 DESC").fetchall()
        return IndexStatistics(
            commitments_by_country=tuple((r[0], r[1]) for r in by_country),
            files_by_kind={r[0]: r[1] for r in files_by_kind},
            failures=tuple((r[0], r[1]) for r in failures),
            chunks_by_language=tuple((r[0], r[1]) for r in languages),
            commitment_files=self.commitment_files,
        )

    def sources(self) -> frozenset[str]:
        """The indexed files' paths, relative to the corpus folder."""
        with self.lock:
            return frozenset(r[0] for r in self.db.execute("SELECT source FROM files"))

    def close(self) -> None:
        with self.lock:
            self.db.close()


def remove_index(index_dir: Path) -> None:
    """Delete an index folder entirely (used by tests and `build --rebuild`)."""
    shutil.rmtree(index_dir, ignore_errors=True)
