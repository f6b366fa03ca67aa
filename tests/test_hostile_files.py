"""Hostile files cannot stop a build: each file is read in a worker process with limits.

The corpus is made here: a decompression-bomb PDF (a real PDF whose Flate content stream
inflates to 4 GiB), a commitments CSV with a 40 MB cell, files whose (test-only) loaders hang,
allocate without end or get killed as the kernel's out-of-memory killer would, and good files.
The build must end within a bound, name each bad file with the limit it broke, index the good
files, and keep its memory (children included) under a stated figure. The real model, pypdf and
worker processes are used; the limits are small so that the test is quick.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import zlib
from pathlib import Path

import psutil
import pytest
from conftest import make_pdf

from indexer import loaders
from indexer.build import build_index
from indexer.settings import Settings
from indexer.store import IndexReader
from indexer.workers import FileReaders, ReadLimits

GiB = 1024**3
#: The build process and its workers together (private memory of the workers) may grow by at most
#: this much while the hostile corpus is built: the bomb would need 4 GiB, the big CSV holds 40 MB.
PEAK_GROWTH_LIMIT = 1 * GiB


def bomb_pdf(path: Path, inflated: int = 4 * GiB) -> Path:
    """A one-page PDF whose content stream is ``inflated`` bytes of spaces, deflated to about 1/1000.

    Full flushes make every 1 MiB block compress to the same bytes, so the stream is assembled by
    repetition in moments; the zlib trailer's Adler-32 of n spaces is computed in closed form.
    """
    block = b" " * (1024 * 1024)
    compressor = zlib.compressobj(9)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH) == repeat
    n = inflated // len(block) * len(block)
    a = (1 + 32 * n) % 65521
    b = (n + 32 * (n * (n + 1) // 2)) % 65521
    tail = compressor.flush(zlib.Z_FINISH)[:-4] + ((b << 16) | a).to_bytes(4, "big")
    stream = first + repeat * (n // len(block) - 2) + tail
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def _hang(path: Path, source: str):
    time.sleep(3600)


def _spin(path: Path, source: str):
    while True:  # a parser stuck in a loop, holding the CPU
        pass


def _hog(path: Path, source: str):
    chunks = []
    while True:  # allocates until something stops it
        chunks.append(bytearray(64 * 1024 * 1024))


def _killed(path: Path, source: str):
    os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's out-of-memory killer does


@pytest.fixture
def hostile_loaders(monkeypatch):
    """Test-only file types whose loaders misbehave; workers are forked, so they see them."""
    for extension, loader in {".hang": _hang, ".spin": _spin, ".hog": _hog, ".killed": _killed}.items():
        monkeypatch.setitem(loaders.LOADERS, extension, loader)


def _memory_sampler(stop: threading.Event, peak: list[int]) -> None:
    """Samples this process's resident memory plus its children's unique memory (USS). A fork
    shares its parent's pages, anonymous ones included: RSS minus "shared" (file-backed pages only)
    counted the parent's heap again for every worker, more so the more the test session had loaded."""
    me = psutil.Process()
    while not stop.is_set():
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_full_info().uss
            except psutil.Error:
                continue
        peak[0] = max(peak[0], total)
        time.sleep(0.02)


def test_hostile_corpus_is_built_bad_files_named_with_their_limits(tmp_path, encoder, hostile_loaders):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    bomb_pdf(corpus / "bomb.pdf")
    good_row = "UY0068,Open court rulings,The Tribunal publishes every ruling of the Velmora court online."
    huge_row = "ZZ0001,A record with a giant cell," + "x" * 40_000_000
    (corpus / "commitments.csv").write_text(
        "Commitment Unique Identifier,Commitment Title,Full Text\n" + good_row + "\n" + huge_row + "\n", encoding="utf-8")
    for name in ("stuck.hang", "loop.spin", "greedy.hog", "oom.killed"):
        (corpus / name).write_text("anything", encoding="utf-8")
    (corpus / "guide.md").write_text("# Legal aid\n\nThe Quorvath clinic trained forty paralegals.\n", encoding="utf-8")
    make_pdf(corpus / "report.pdf", ["Mobile courts reached the Zembla valley twice a month."])

    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", read_seconds=3.0,
                        read_seconds_per_mb=0.5, read_seconds_per_page=1.0, read_memory_mb=512,
                        max_document_chars=1_000_000)
    stop, peak = threading.Event(), [0]
    before = psutil.Process().memory_info().rss
    sampler = threading.Thread(target=_memory_sampler, args=(stop, peak), daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        report = build_index(settings, progress=False, encoder=encoder)
    finally:
        stop.set()
        sampler.join()
    seconds = time.monotonic() - started

    failed = dict(report.failed)
    # Each reason in full: pytest would cut the dict's repr short, and an unexpected failure needs its reason.
    assert set(failed) == {"bomb.pdf", "stuck.hang", "loop.spin", "greedy.hog", "oom.killed"}, \
        "\n".join(f"{source}: {reason}" for source, reason in failed.items())
    assert "inflates past pypdf's limit of 75 MB" in failed["bomb.pdf"]
    assert "took longer than 3 s to read" in failed["stuck.hang"]
    assert "took longer than 3 s to read" in failed["loop.spin"]
    assert "needed more than 512 MiB of memory" in failed["greedy.hog"]
    assert "killed by SIGKILL" in failed["oom.killed"]
    warnings = [message for source, message in report.warnings if source == "commitments.csv"]
    assert any("record 2 (ZZ0001) refused: 40,000,0" in w and "limit of 1,000,000 per document" in w
               for w in warnings), warnings
    assert sorted(report.added) == ["commitments.csv", "guide.md", "report.pdf"]

    reader = IndexReader(settings.index_dir)
    try:
        texts = " ".join(c.text for c in reader.chunks_by_id(list(range(1, 100))).values())
    finally:
        reader.close()
    assert "Quorvath" in texts and "Zembla" in texts and "Velmora" in texts
    assert "xxxxxxxx" not in texts

    # Two files wait for their 3 s limit; the rest is reading and embedding a few passages.
    assert seconds < 45, f"the build took {seconds:.0f} s"
    assert peak[0] - before < PEAK_GROWTH_LIMIT, f"grew by {(peak[0] - before) / GiB:.2f} GiB"


def test_workers_are_reused_and_replaced_after_a_death(tmp_path, hostile_loaders):
    """One worker reads file after file; one killed mid-file is replaced and the next file is read."""
    files = []
    for name in ("a.txt", "oom.killed", "b.txt"):
        path = tmp_path / name
        path.write_text(f"Text of {name} about legal aid.", encoding="utf-8")
        files.append((path, name, path.stat().st_size))
    with FileReaders(ReadLimits(seconds=5.0), workers=1) as readers:
        first_pid = readers._workers[0].process.pid
        outcomes = dict(readers.read_all(files[:1]))
        assert readers._workers[0].process.pid == first_pid  # reused, not forked per file
        outcomes.update(readers.read_all(files[1:]))
        assert readers._workers[0].process.pid != first_pid  # replaced after the kill
    assert "Text of a.txt" in outcomes["a.txt"].documents[0].text
    assert "killed by SIGKILL" in outcomes["oom.killed"].reason
    assert "Text of b.txt" in outcomes["b.txt"].documents[0].text


def test_read_time_limit_scales_with_size_and_pages():
    limits = ReadLimits(seconds=60, seconds_per_mb=30, seconds_per_page=10)
    assert limits.seconds_for(3 * 1024 * 1024, None) == 150
    assert limits.seconds_for(3 * 1024 * 1024, 12) == 270
