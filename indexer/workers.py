"""Reading corpus files in worker processes with limits, so that no file can take the build down.

Anyone may drop a file into a shared corpus. A PDF whose streams inflate to gigabytes, a page that
makes a parser loop or a CSV with a 40 MB cell must cost one failure line in the build report, not
the build: catching ``MemoryError`` does not help against the kernel's out-of-memory killer, and
nothing in a thread can stop a parser that never returns. So each file is read
(``indexer.loaders.load_file``) in a worker process that

* has a wall-time limit scaled by the file's size and pages (``ReadLimits.seconds_for``): past
  it the worker is killed and replaced;
* has its address space limited (``RLIMIT_AS``, counted above what the worker holds when it
  starts): an allocation past it fails inside the worker, which names the limit;
* hands back at most so many documents and characters per file, and no document (a PDF page, a
  commitment record with its fields) above ``max_document_chars``: such a document is refused
  with a warning naming it and the limit, the file's other documents are kept.

A worker that dies (killed by the kernel, crashed in native code) is replaced and the file is
reported. Workers are forked once and reused for file after file, so the build's throughput stays
what it was when files were read in a thread: forking per file would cost more than reading most
files. Fork (not spawn) also means a worker sees the loaders registered in the parent, tests' too.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .errors import LoaderError
from .loaders import LoadedFile, ReadOptions, load_file
from .records import Document
from .settings import Settings

__all__ = ["ReadLimits", "FileReaders"]

_MB = 1024 * 1024
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
#: This process's ends of its workers' pipes (a worker forked later must not keep them open).
_PARENT_ENDS: set[Connection] = set()


@dataclass(frozen=True)
class ReadLimits:
    """What reading one file may cost (see the ``read_*`` and ``max_*`` settings)."""

    seconds: float = 60.0
    seconds_per_mb: float = 30.0
    seconds_per_page: float = 10.0
    memory_mb: int = 2048
    document_chars: int = 2_000_000
    file_chars: int = 50_000_000
    file_documents: int = 200_000

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(settings.read_seconds, settings.read_seconds_per_mb, settings.read_seconds_per_page,
                   settings.read_memory_mb, settings.max_document_chars, settings.max_file_chars,
                   settings.max_file_documents)

    def seconds_for(self, size: int, pages: int | None) -> float:
        """The wall time a file of ``size`` bytes and ``pages`` pages (None: not known) may take."""
        return self.seconds + self.seconds_per_mb * size / _MB + self.seconds_per_page * (pages or 0)


def _size_text(size: int) -> str:
    return f"{size / _MB:.1f} MB" if size >= _MB // 10 else f"{max(1, round(size / 1024))} KB"


def _memory_text(megabytes: int) -> str:
    return f"{megabytes / 1024:g} GiB" if megabytes >= 1024 else f"{megabytes} MiB"


# --------------------------------------------------------------------------------------------
# In the worker


def _address_space() -> int:
    """Bytes of address space this process has mapped now."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


def _limit_memory(megabytes: int) -> None:
    """Let this process map at most ``megabytes`` more than it has now (a fork holds its parent's
    mappings, the encoder's included, which reading a file does not add to)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = _address_space() + megabytes * _MB
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _caused_by(exc: BaseException, name: str) -> BaseException | None:
    """The exception of class ``name`` in ``exc``'s chain (loaders re-raise with ``from None``,
    which hides the original but keeps it as the context)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if any(cls.__name__ == name for cls in type(current).__mro__):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _pdf_pages(path: Path) -> tuple[int | None, str | None]:
    """A PDF's page count, and why it cannot be read safely: a content stream that inflates past
    pypdf's limit (a decompression bomb). The loader would skip such a page with a vague warning;
    the check here names the limit. Any other oddity is left for the loader to report."""
    try:
        from pypdf import PdfReader
        from pypdf import filters as pdf_filters
        from pypdf.errors import LimitReachedError
    except ImportError:
        return None, None
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            return None, None
        pages = len(reader.pages)
    except Exception:  # noqa: BLE001 - the loader reports damaged files in its own words
        return None, None
    limit = getattr(pdf_filters, "ZLIB_MAX_OUTPUT_LENGTH", 0)
    for number in range(pages):
        try:
            reader.pages[number].get_contents()
        except LimitReachedError:
            return pages, (f"a compressed stream on page {number + 1} inflates past pypdf's limit of "
                           f"{limit / 1e6:g} MB (a decompression bomb?); the file was not read")
        except Exception:  # noqa: BLE001
            continue
    return pages, None


def _describe(document: Document, position: int) -> str:
    p = document.provenance
    if p.commitment_id:
        return f"record {position} ({p.commitment_id})"
    if p.page is not None:
        return f"page {p.page}"
    return f"document {position}" + (f" ({p.section})" if p.section else "")


def _document_chars(document: Document) -> int:
    """The characters a document carries: its text and its record fields (all shown with it)."""
    return len(document.text) + sum(len(v) for v in document.provenance.metadata.values())


def _within_limits(loaded: LoadedFile, limits: ReadLimits) -> LoadedFile:
    """``loaded`` without the documents over ``document_chars`` (each named in a warning);
    ``LoaderError`` when the file as a whole is over a limit."""
    source = loaded.documents[0].provenance.source
    if len(loaded.documents) > limits.file_documents:
        raise LoaderError(source, f"gave {len(loaded.documents):,} documents, over the limit of "
                                  f"{limits.file_documents:,} per file (max_file_documents)")
    kept, warnings = [], list(loaded.warnings)
    for position, document in enumerate(loaded.documents, start=1):
        chars = _document_chars(document)
        if chars > limits.document_chars:
            warnings.append(f"{_describe(document, position)} refused: {chars:,} characters, over the limit of "
                            f"{limits.document_chars:,} per document (max_document_chars)")
        else:
            kept.append(document)
    if not kept:
        raise LoaderError(source, "every document of the file was over a limit: " + "; ".join(warnings[-3:]))
    total = sum(_document_chars(d) for d in kept)
    if total > limits.file_chars:
        raise LoaderError(source, f"gave {total:,} characters of text, over the limit of {limits.file_chars:,} "
                                  f"per file (max_file_chars)")
    return LoadedFile(kept, warnings)


def _read(path: Path, source: str, limits: ReadLimits, conn: Connection, options: ReadOptions) -> tuple[str, Any]:
    """("ok", LoadedFile) or ("failed", reason) for one file; sends ("pages", n) first for a PDF."""
    try:
        if path.suffix.lower() == ".pdf":
            pages, bomb = _pdf_pages(path)
            if pages:
                conn.send(("pages", pages))
            if bomb:
                return "failed", bomb
        return "ok", _within_limits(load_file(path, source, options), limits)
    except LoaderError as exc:
        if _caused_by(exc, "MemoryError"):
            return "failed", f"needed more than {_memory_text(limits.memory_mb)} of memory to read (read_memory_mb)"
        return "failed", exc.reason
    except MemoryError:
        return "failed", f"needed more than {_memory_text(limits.memory_mb)} of memory to read (read_memory_mb)"


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies. A fork shares its parent's open files,
    the index folder's lock among them: a worker outliving a killed build would keep the lock.
    (Linux counts as the parent the thread that forked: a worker forked to replace one, on the
    build's reading thread, goes when that thread ends, by when the reading is done.)"""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _serve(conn: Connection, parent: int, limits: ReadLimits, options: ReadOptions) -> None:
    """A worker's life: read the files it is sent until it is sent None or its parent goes."""
    _die_with_parent(parent)
    for end in list(_PARENT_ENDS):  # the parent's ends of the pipes: closed here, so that EOF means it closed them
        end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle; it stops workers
    _limit_memory(limits.memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        path, source = task
        conn.send(_read(path, source, limits, conn, options))


# --------------------------------------------------------------------------------------------
# In the build


class _Worker:
    """One worker process and its end of the pipe; replaced after it is killed or dies."""

    def __init__(self, limits: ReadLimits, options: ReadOptions) -> None:
        self.limits = limits
        self.options = options
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child_conn = context.Pipe()
        _PARENT_ENDS.add(self.conn)
        self.process = context.Process(target=_serve, args=(child_conn, os.getpid(), self.limits, self.options),
                                       name="indexer-read", daemon=True)
        self.process.start()
        child_conn.close()

    def send(self, path: Path, source: str) -> None:
        self.started = _now()
        self.conn.send((path, source))

    def result(self, source: str, size: int) -> LoadedFile:
        """The file's documents, or ``LoaderError`` naming the limit it broke."""
        pages = None
        while True:
            allowed = self.limits.seconds_for(size, pages)
            remaining = self.started + allowed - _now()
            try:
                ready = remaining > 0 and self.conn.poll(remaining)
            except (EOFError, OSError):
                ready = True
            if not ready:
                self._replace()
                what = f"{_size_text(size)} file" + (f" of {pages} pages" if pages else "")
                raise LoaderError(source, f"took longer than {allowed:.0f} s to read (the limit for a {what}; "
                                          f"read_seconds and read_seconds_per_mb/_per_page raise it); stopped")
            try:
                kind, value = self.conn.recv()
            except (EOFError, OSError):
                raise LoaderError(source, self._died()) from None
            if kind == "pages":
                pages = value
            elif kind == "ok":
                return value
            else:
                raise LoaderError(source, value)

    def _died(self) -> str:
        self.process.join(5)
        code = self.process.exitcode
        self._replace()
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            why = " (as the kernel does when memory runs out)" if -code == signal.SIGKILL else ""
            return f"the process reading it was killed by {name}{why}; the build went on without it"
        return f"the process reading it stopped unexpectedly (exit status {code}); the build went on without it"

    def _replace(self) -> None:
        self.stop(kill=True)
        self._start()

    def stop(self, kill: bool = False) -> None:
        if not kill:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        _PARENT_ENDS.discard(self.conn)
        self.conn.close()


def _now() -> float:
    return time.monotonic()


class FileReaders:
    """A small pool of reused worker processes that read files with ``limits``.

    Use as a context manager; ``read_all`` reads files in order, up to ``workers`` at a time.
    """

    def __init__(self, limits: ReadLimits, workers: int = 1, options: ReadOptions | None = None) -> None:
        self.limits = limits
        self._workers = [_Worker(limits, options or ReadOptions()) for _ in range(max(1, workers))]

    def __enter__(self) -> FileReaders:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()

    def read_all(self, files: Iterable[tuple[Path, str, int]]) -> Iterator[tuple[str, LoadedFile | LoaderError]]:
        """(source, what it gave) for each (path, source, size) in ``files``, in their order."""
        idle = deque(self._workers)
        in_flight: deque[tuple[_Worker, str, int]] = deque()
        pending = iter(files)
        while True:
            while idle and (task := next(pending, None)) is not None:
                worker = idle.popleft()
                path, source, size = task
                worker.send(path, source)
                in_flight.append((worker, source, size))
            if not in_flight:
                return
            worker, source, size = in_flight.popleft()
            try:
                outcome: LoadedFile | LoaderError = worker.result(source, size)
            except LoaderError as exc:
                outcome = exc
            idle.append(worker)
            yield source, outcome
