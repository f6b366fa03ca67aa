"""The build: scan the corpus, compare content hashes with the index, read, chunk and
embed only what changed, and write the next index generation.

``build_index`` is the one entry point; the CLI and tests call it and print its report.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

from tqdm import tqdm

from .analysis import ANALYZER_VERSION, detect_languages
from .chunking import CHUNKER_VERSION, Chunker, with_languages
from .embedding import Encoder, load_encoder
from .errors import IndexerError, StrictBuildError, IndexMismatchError, IndexNotFoundError, LoaderError
from .loaders import LoadedFile, ReadOptions, is_corpus_metadata, is_indexable, sidecar_citation_fields
from .loaders.pdf import READ_BY
from .records import Chunk, Document
from .bridge import bridge_passages, needs_bridges
from .countries import needs_placing, place_files
from .wordpieces import add_word_pieces
from .settings import Settings
from .store import FileRecord, IndexManifest, IndexReader, IndexWriter, index_lock
from .workers import FileReaders, ReadLimits

__all__ = ["BuildReport", "build_index", "recorded_corpus", "same_folder", "scan_corpus"]


@dataclass
class BuildReport:
    """What a build did, for the person who ran it."""

    index_dir: Path
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files of a type the indexer does not read
    chunks_embedded: int = 0
    tokens_embedded: int = 0
    ocr_pages: int = 0  # pages of the files read in this build whose text came from OCR
    bridged: int = 0  # passages rendered into the model's language in this build (indexer/bridge.py)
    bridge_note: str | None = None  # why some passages have no rendering
    placed: int = 0  # files given the member their commitment ids or text name (indexer/countries.py)
    word_pieces: int = 0  # the model's word pieces embedded in this build (indexer/wordpieces.py)
    total_files: int = 0
    total_chunks: int = 0
    seconds: float = 0.0
    full_rebuild_reason: str | None = None

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        lines = [
            f"Index: {self.index_dir}",
            f"  files: {len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {len(self.failed)} failed",
            f"  chunks embedded: {self.chunks_embedded} ({self.tokens_embedded} word pieces); "
            f"index holds {self.total_chunks} chunks from {self.total_files} files",
            f"  time: {self.seconds:.1f} s",
        ]
        if self.ocr_pages:
            lines.insert(3, f"  pages read by OCR: {self.ocr_pages}")
        if self.bridged:
            lines.insert(3, f"  passages rendered by machine translation for the dense side: {self.bridged}")
        if self.placed:
            lines.insert(3, f"  files given the member their commitment ids or text name (for questions that name one): {self.placed}")
        if self.word_pieces:
            lines.insert(3, f"  the model's word pieces embedded for the ranker's word match (once per index): "
                            f"{self.word_pieces}")
        if self.bridge_note:
            lines.append(f"  note: {self.bridge_note}")
        if self.full_rebuild_reason:
            lines.insert(1, f"  full rebuild: {self.full_rebuild_reason}")
        if self.up_to_date and not self.failed and not self.bridged and not self.word_pieces:
            lines.append("  The index was already up to date; nothing was re-read or re-embedded.")
        for source, reason in self.failed:
            lines.append(f"  FAILED {source}: {reason}")
        for source, message in self.warnings:
            lines.append(f"  warning {source}: {message}")
        if self.skipped:
            lines.append(f"  skipped {len(self.skipped)} files of unsupported types (e.g. {self.skipped[0]})")
        if not self.total_files and not self.failed:
            lines.append("  The index holds no documents: the corpus has no files of the types the indexer reads "
                         "(.pdf, .md, .html, .txt, .docx, .xlsx, .ods, .yaml, .json, commitments .csv). Add some and build again.")
        return "\n".join(lines)


@dataclass(frozen=True)
class _CorpusFile:
    path: Path
    source: str
    sha256: str
    size: int


def _sha256(path: Path) -> str:
    """The file's SHA-256, folded with its sidecar's citation facts when it has a sidecar."""
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    extra = sidecar_citation_fields(path)
    return hashlib.sha256(digest.encode() + extra).hexdigest() if extra else digest


def scan_corpus(corpus_dir: Path, report: BuildReport) -> list[_CorpusFile]:
    """Every indexable file under ``corpus_dir`` with its content hash; unreadable ones go to the report."""
    found: list[_CorpusFile] = []
    # followlinks=False: a symlinked folder is never entered, so a link loop cannot trap the scan.
    for folder, dirs, files in os.walk(corpus_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            source = path.relative_to(corpus_dir).as_posix()
            if not is_indexable(path):
                if not name.startswith(".") and not name.endswith(".source.json") and not is_corpus_metadata(path):
                    report.skipped.append(source)
                continue
            try:
                if not path.is_file():
                    raise LoaderError(source, "not a regular file (a broken link or a link loop?)")
                found.append(_CorpusFile(path, source, _sha256(path), path.stat().st_size))
            except PermissionError:
                report.failed.append((source, "permission denied: the indexer cannot read this file"))
            except LoaderError as exc:
                report.failed.append((source, exc.reason))
            except OSError as exc:
                report.failed.append((source, f"cannot read the file ({exc.strerror or exc})"))
    return found


def _versions() -> dict[str, str]:
    out = {}
    for package in ("ogp-justice-search", "sentence-transformers", "torch", "onnxruntime", "faiss-cpu", "pypdf"):
        try:
            out[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


def _open_previous(settings: Settings, report: BuildReport) -> IndexReader | None:
    try:
        previous = IndexReader(settings.index_dir)
    except IndexNotFoundError:
        return None
    except IndexerError as exc:
        report.full_rebuild_reason = f"the old index could not be used ({exc})"
        return None
    reason = _why_not_reusable(previous, settings)
    if reason:
        report.full_rebuild_reason = reason
        previous.close()
        return None
    return previous


def _why_not_reusable(previous: IndexReader, settings: Settings) -> str | None:
    """Why the old index cannot be built upon (None when it can): the new build starts afresh."""
    # An incremental build copies the old database page by page and would carry damage forward.
    # The deep check reads every page once, about what that copy costs anyway.
    problems = previous.verify(deep=True)
    if problems:
        return f"the old index could not be used ({'; '.join(problems)})"
    m = previous.manifest
    if (m.model, m.backend, m.max_tokens, m.chunk_tokens, m.overlap_tokens) != (
            settings.model, settings.backend, settings.max_tokens, settings.chunk_tokens, settings.overlap_tokens):
        # Vectors from two runtimes (fp32 and int8) must not be mixed in one index.
        return "the model, encoder backend or chunk settings changed since the last build"
    if m.chunker != CHUNKER_VERSION:
        # Chunks cut two ways would make an incremental build answer unlike a fresh one.
        return f"this version cuts passages differently (version {CHUNKER_VERSION}, the index has {m.chunker})"
    if m.frontmatter_fields != settings.frontmatter_fields:
        # Files read with another field table would give other records and passages.
        return "the frontmatter_fields setting changed since the last build"
    if m.analyzer != ANALYZER_VERSION:
        # Old and new keyword terms must not be mixed either: a question is analysed one way.
        return f"this version analyses keywords differently (version {ANALYZER_VERSION}, the index has {m.analyzer})"
    return None


def recorded_corpus(index_dir: Path) -> Path | None:
    """The corpus folder the index at ``index_dir`` was last built from, when its manifest says so
    and that folder still exists (None for an index built before it was recorded, or moved)."""
    try:
        recorded = IndexManifest.read(Path(index_dir)).corpus
    except (IndexerError, OSError):
        return None
    if not recorded:
        return None
    folder = (Path(index_dir) / recorded).resolve()  # a relative record is relative to the index folder
    return folder if folder.is_dir() else None


def _corpus_record(corpus_dir: Path, index_dir: Path) -> str:
    """How the manifest names the corpus: relative to the index folder, so a project folder that
    is moved or copied whole (corpus and index together) still finds it; absolute across drives."""
    try:
        return os.path.relpath(corpus_dir.resolve(), index_dir.resolve())
    except ValueError:
        return str(corpus_dir.resolve())


def same_folder(a: Path | str, b: Path | str) -> bool:
    """Whether two paths name one existing folder (False when either is missing)."""
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def build_index(settings: Settings, *, progress: bool = True, encoder: Encoder | None = None,
                strict: bool = False, replace: bool = False) -> BuildReport:
    """Bring the index at ``settings.index_dir`` up to date with ``settings.corpus_dir``.

    Unchanged files (same SHA-256) are neither re-read nor re-embedded. A file that fails
    to load is reported and, if an older version of it was indexed, that version is kept.
    The new index replaces the old one atomically; a failed build leaves the old one as it was.
    With ``strict``, any unreadable file raises ``IndexerError`` and nothing is written.

    An index remembers the corpus folder it was built from. A build from another folder would drop
    every document of the first, so it is refused unless ``replace`` (the usual cause is a forgotten
    ``--corpus``); so is one that would remove every file of an index that predates the record.
    """
    started = time.perf_counter()
    corpus_dir, index_dir = Path(settings.corpus_dir), Path(settings.index_dir)
    report = BuildReport(index_dir=index_dir)
    if corpus_dir.exists() and not corpus_dir.is_dir():
        raise IndexerError(f"The corpus {corpus_dir} is a file, not a folder: give the folder that holds the documents.")
    if not corpus_dir.is_dir():
        raise IndexerError(f"The corpus folder {corpus_dir} does not exist. Create it and put documents in it.")
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexerError(f"The index {index_dir} is a file, not a folder: give a folder for the index "
                           f"(it is created if missing).")

    with index_lock(index_dir):
        earlier_corpus = recorded_corpus(index_dir)
        if not replace and earlier_corpus is not None and not same_folder(earlier_corpus, corpus_dir):
            raise IndexerError(
                f"The index at {index_dir} holds the documents of {earlier_corpus}, not of {corpus_dir}; this build "
                f"would drop them. To update it: `python -m indexer build --corpus {earlier_corpus} --index "
                f"{index_dir}`. To replace them with the documents in {corpus_dir}, add --replace.")
        previous = _open_previous(settings, report)
        try:
            old_hashes = previous.file_hashes() if previous else {}
            old_failures = previous.failures() if previous else {}
            files = scan_corpus(corpus_dir, report)
            current = {f.source: f for f in files}
            # A file that failed before and has not changed since fails again: report it, do not retry.
            retry_hashes = {}
            for source, (sha256, reason) in old_failures.items():
                if source in current and current[source].sha256 == sha256:
                    report.failed.append((source, reason))
                    retry_hashes[source] = sha256
                    del current[source]
            unreadable = {source for source, _ in report.failed}
            report.added = [s for s in current if s not in old_hashes]
            report.changed = [s for s in current if s in old_hashes and old_hashes[s] != current[s].sha256]
            # A file that exists but could not even be hashed keeps its old version.
            report.removed = [s for s in old_hashes if s not in current and s not in unreadable]
            report.unchanged = sum(1 for s in current if old_hashes.get(s) == current[s].sha256)
            # Failure records of files that are gone must be cleared, which needs a new generation.
            stale_failures = [s for s in old_failures if s not in current and s not in unreadable]
            if not replace and earlier_corpus is None and old_hashes and len(report.removed) == len(old_hashes):
                raise IndexerError(
                    f"This build would remove all {len(old_hashes)} files of the index at {index_dir}: none of them "
                    f"is in {corpus_dir}. Was the index built from another folder? Give that folder with --corpus, "
                    f"or add --replace to rebuild the index from {corpus_dir}.")
            if report.up_to_date and previous is not None and not stale_failures \
                    and not needs_bridges(previous, settings) and not needs_placing(previous) \
                    and previous.has_word_pieces() and previous.has_rendering_postings:
                report.total_files = previous.manifest.files
                report.total_chunks = previous.manifest.chunks
                report.seconds = time.perf_counter() - started
                return report

            encoder = encoder or load_encoder(settings)
            # Smallest files first: the encoder starts on the first few chunks within moments instead
            # of waiting for a large PDF or CSV to be parsed, and the big files are read while it works
            # (on corpus-real the encoder sat idle 4.5 s before its first chunk when files came in
            # path order). Chunk ids follow this order; nothing else depends on it.
            to_read = sorted((current[s] for s in report.added + report.changed), key=lambda f: (f.size, f.source))
            changed = set(report.changed)
            writer = None
            storing = _StoreAhead()
            try:
                # Files are read and chunked in a background thread while the encoder (which
                # releases the GIL) embeds what is ready, and each run of embedded passages is
                # stored on a third thread while the encoder embeds the next: neither parsing nor
                # storing adds to embedding time.
                for group in _read_in_background(to_read, encoder, settings, report, progress):
                    for run in _runs(group, report):
                        chunks = [c for part in run for _, doc_chunks in part.units for c in doc_chunks]
                        vectors = encoder.encode([c.embedding_text for c in chunks],
                                                 token_ids=[c.token_ids for c in chunks])
                        storing.wait()  # the previous run is stored; an error there is raised here
                        if writer is None:
                            writer = IndexWriter(index_dir, previous, vectors.shape[1], settings.exact_search_limit)
                            writer.remove_sources(report.removed)
                        storing.start(_store_run, writer, run, vectors, changed)
                        report.chunks_embedded += len(chunks)
                        report.tokens_embedded += sum(c.token_count for c in chunks)
                storing.wait()
                # A file that could not be read was neither added nor changed: it is listed as failed
                # (a changed one keeps its old version in the index).
                failed_now = {source for source, _ in report.failed}
                report.added = [s for s in report.added if s not in failed_now]
                report.changed = [s for s in report.changed if s not in failed_now]
                if strict and report.failed:
                    listing = "; ".join(f"{s}: {r}" for s, r in report.failed)
                    raise StrictBuildError(
                        f"--strict: {len(report.failed)} file(s) could not be read, index left as it was: {listing}")
                if writer is None:  # nothing new could be read (only removals or failures): no model needed
                    writer = IndexWriter(index_dir, previous, previous.manifest.dimension if previous
                                         else encoder.dimension, settings.exact_search_limit)
                    writer.remove_sources(report.removed)
                bridged = bridge_passages(writer, encoder, settings, progress)
                report.bridged, report.bridge_note = bridged.rendered, bridged.reason
                report.placed = place_files(writer)
                report.word_pieces = add_word_pieces(writer, encoder, progress, settings.cache_dir)
                writer.clear_failures()
                for source, reason in report.failed:
                    sha256 = current[source].sha256 if source in current else retry_hashes.get(source)
                    writer.record_failure(source, reason, sha256)
                manifest = writer.commit(
                    model=settings.model, backend=settings.backend, max_tokens=settings.max_tokens,
                    chunk_tokens=settings.chunk_tokens,
                    overlap_tokens=settings.overlap_tokens, chunker=CHUNKER_VERSION, versions=_versions(),
                    frontmatter_fields=settings.frontmatter_fields,
                    corpus=_corpus_record(corpus_dir, index_dir),
                )
            except BaseException:
                storing.close()  # a run being stored finishes before its files go
                if writer is not None:
                    writer.discard()
                raise
            finally:
                storing.close()
            report.total_files, report.total_chunks = manifest.files, manifest.chunks
        finally:
            if previous:
                previous.close()
    report.seconds = time.perf_counter() - started
    return report


#: Chunks the reading thread hands over at a time: big enough for torch's length-sorted batches,
#: small enough that embedding starts while later files are still being read.
_GROUP_CHUNKS = 256
#: Chunks embedded per encoder call and then stored together; a larger group (one big file) is
#: cut into runs of about this many, so its storing overlaps the embedding of the next run.
_RUN_CHUNKS = 256
#: ... except the first group, handed over as soon as it has this many, so embedding starts at once.
_FIRST_GROUP_CHUNKS = 16
_DONE = object()


def _read_in_background(files: list[_CorpusFile], encoder: Encoder, settings: Settings, report: BuildReport,
                        progress: bool) -> Iterator[list[tuple[_CorpusFile, list[tuple[Document, list[Chunk]]]]]]:
    """Groups of read and chunked files, read by a thread ahead of the caller.

    Each file is read in a worker process with limits (``indexer.workers``) and chunked in the
    thread. Files that cannot be read, or break a limit, go to ``report.failed`` (the thread is
    the only writer of the report until it finishes). A thread's error is raised here, in the
    caller's thread.
    """
    if not files:
        return
    # Forked before the reading thread starts, so no lock of this process is held in the fork.
    readers = FileReaders(ReadLimits.from_settings(settings), settings.read_workers, ReadOptions.from_settings(settings))
    # No language detection here: _store_run settles each chunk's language as it stores it.
    chunker = Chunker(encoder.tokenizer, settings.max_tokens, settings.chunk_tokens, settings.overlap_tokens)
    ready: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        group, size, consumed, handed_over = [], 0, 0, False
        try:
            by_source = {f.source: f for f in files}
            tasks = ((f.path, f.source, f.size) for f in files)
            for source, outcome in readers.read_all(tasks):
                if stop.is_set():
                    return
                loaded = _chunk_one(by_source[source], outcome, chunker, report)
                consumed += 1
                if loaded is None:
                    continue
                group.append(loaded)
                size += sum(len(chunks) for _, chunks in loaded[1])
                if size >= (_GROUP_CHUNKS if handed_over else _FIRST_GROUP_CHUNKS):
                    if not put((group, consumed)):
                        return
                    group, size, consumed, handed_over = [], 0, 0, True
            if (group or consumed) and not put((group, consumed)):
                return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            put(exc)

    worker = threading.Thread(target=work, name="indexer-reader", daemon=True)
    worker.start()
    # The bar moves as files are embedded (the caller's work), not as they are read ahead.
    bar = tqdm(total=len(files), desc="Reading and embedding", unit="file", disable=not progress)
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            group, consumed = item
            if group:
                yield group
            bar.update(consumed)
    finally:
        stop.set()
        worker.join()
        readers.close()
        bar.close()


@dataclass(frozen=True)
class _FilePart:
    """Some or all of one file's documents, with their chunks, stored together."""

    file: _CorpusFile
    units: list[tuple[Document, list[Chunk]]]
    first: bool  # the file's first part: a changed file's old version is removed just before it
    record: FileRecord | None  # on the file's last part: its row, written after the part


def _runs(group: list[tuple[_CorpusFile, list[tuple[Document, list[Chunk]]]]],
          report: BuildReport) -> Iterator[list[_FilePart]]:
    """The group's files in runs of about ``_RUN_CHUNKS`` chunks (near-equal runs, cut between
    documents), each file's parts in order."""
    total = sum(len(chunks) for _, units in group for _, chunks in units)
    target = total / max(1, round(total / _RUN_CHUNKS))
    run: list[_FilePart] = []
    count = 0
    for corpus_file, units in group:
        record = FileRecord(
            corpus_file.source, corpus_file.sha256, corpus_file.size,
            kind=units[0][0].provenance.kind, title=units[0][0].provenance.title,
            documents=len(units), chunks=sum(len(chunks) for _, chunks in units),
            warnings=tuple(m for s, m in report.warnings if s == corpus_file.source),
        )
        part: list[tuple[Document, list[Chunk]]] = []
        for position, unit in enumerate(units):
            part.append(unit)
            count += len(unit[1])
            last = position == len(units) - 1
            if last or count >= target:
                run.append(_FilePart(corpus_file, part, first=len(part) == position + 1,
                                     record=record if last else None))
                part = []
            if count >= target:
                yield run
                run, count = [], 0
    if run:
        yield run


def _store_run(writer: IndexWriter, run: list[_FilePart], vectors, changed: set[str]) -> None:
    """Store one run of embedded passages (on the storing thread); ``vectors`` in chunk order."""
    offset = 0
    for part in run:
        if part.first and part.file.source in changed:  # its old version goes only once the new one is read
            writer.remove_sources([part.file.source])
        # Languages are detected here rather than while chunking: the encoder does not need them,
        # and its first passages no longer wait for the language model to load (0.8 s).
        units = with_languages(part.units, detect_languages)
        count = sum(len(chunks) for _, chunks in units)
        writer.add_documents(units, vectors[offset:offset + count])
        offset += count
        if part.record is not None:
            writer.record_file(part.record)


class _StoreAhead:
    """Runs one storing step at a time on a thread of its own while the caller embeds the next
    run. At most one step is in flight, so memory stays bounded and an error in storing is
    raised at the next ``wait``. The writer is used by one thread at a time: this one while a
    step runs, the caller's only after ``wait``."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="indexer-store")
        self._pending: Future | None = None

    def start(self, step, *args) -> None:
        self.wait()
        self._pending = self._pool.submit(step, *args)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Let the step in flight finish (its error dropped: the build is failing already), then stop."""
        with contextlib.suppress(BaseException):
            self.wait()
        self._pool.shutdown(wait=True)


def _chunk_one(corpus_file: _CorpusFile, loaded: LoadedFile | LoaderError, chunker: Chunker,
               report: BuildReport) -> tuple[_CorpusFile, list[tuple[Document, list[Chunk]]]] | None:
    """The file's documents with their chunks; None (and a line in the report) when it gave none."""
    if isinstance(loaded, LoaderError):
        report.failed.append((corpus_file.source, loaded.reason))
        return None
    report.warnings.extend((corpus_file.source, w) for w in loaded.warnings)
    report.ocr_pages += sum(1 for doc in loaded.documents if doc.provenance.metadata.get(READ_BY, "").startswith("OCR"))
    units = [(doc, chunks) for doc in loaded.documents if (chunks := chunker.chunk(doc))]
    if not units:
        report.failed.append((corpus_file.source, "no text found in the file"))
        return None
    return corpus_file, units
