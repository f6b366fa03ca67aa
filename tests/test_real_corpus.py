"""The team's shared real corpus (../shared/corpus-real): every file loads or fails with a reason.
Skipped where the folder is absent. The whole real index is not built here (too slow)."""

from __future__ import annotations

import csv

import pytest
from conftest import SHARED, requires_shared

from indexer.build import BuildReport, scan_corpus
from indexer.errors import LoaderError
from indexer.loaders import is_indexable, load_file

pytestmark = [requires_shared, pytest.mark.real_corpus]

REAL = SHARED / "corpus-real"


def _indexable():
    return sorted(p for p in REAL.rglob("*") if p.is_file() and is_indexable(p))


def test_every_real_file_loads_or_fails_with_a_reason():
    files = _indexable()
    assert len(files) >= 50
    loaded, failed, crashed = {}, {}, {}
    for path in files:
        source = path.relative_to(REAL).as_posix()
        try:
            result = load_file(path, source)
        except LoaderError as err:
            failed[source] = err.reason
        except Exception as exc:  # noqa: BLE001 - the point of the test
            crashed[source] = f"{type(exc).__name__}: {exc}"
        else:
            loaded[source] = result
    assert not crashed, f"loaders raised something other than LoaderError: {crashed}"
    assert all(reason.strip() for reason in failed.values())
    assert len(failed) <= 3, f"too many real files fail: {failed}"
    for source, result in loaded.items():
        assert result.documents, source
        for doc in result.documents:
            assert doc.text.strip()
            assert doc.provenance.source == source
            assert doc.provenance.title.strip(), source
    # every format is represented and read
    kinds = {d.provenance.kind for r in loaded.values() for d in r.documents}
    assert kinds == {"report", "guide", "commitment", "text"}
    # PDFs keep 1-based physical pages, in order
    for source, result in loaded.items():
        if source.endswith(".pdf"):
            pages = [d.provenance.page for d in result.documents]
            assert pages == sorted(pages) and pages[0] >= 1, source


def test_real_commitments_export_yields_558_commitments():
    (csv_path,) = sorted((REAL / "commitments").glob("*.csv"))
    result = load_file(csv_path, csv_path.relative_to(REAL).as_posix())
    docs = result.documents
    assert len(docs) == 558
    ids = [d.provenance.commitment_id for d in docs]
    assert len(set(ids)) == 558
    assert all(d.provenance.kind == "commitment" and d.provenance.country for d in docs)
    years = [d.provenance.year for d in docs if d.provenance.year]
    assert len(years) >= 550 and 2011 <= min(years) and max(years) <= 2025
    # policy areas are exactly the flags set to "1" in the export, read independently here
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        raw = {row["Commitment Unique Identifier"].strip(): row for row in csv.DictReader(fh)}
    for area in ("Justice", "Open Parliaments", "Access to Justice"):
        flagged = {cid for cid, row in raw.items() if row[area].strip() == "1"}
        assert {d.provenance.commitment_id for d in docs if area in d.provenance.policy_areas} == flagged, area
    assert sum("Justice" in d.provenance.policy_areas for d in docs) == 33
    by_id = {d.provenance.commitment_id: d for d in docs}
    for cid in list(raw)[:: 50]:
        assert by_id[cid].provenance.country == raw[cid]["Country/Locality"].strip()
        assert by_id[cid].provenance.url == (raw[cid]["URL"].strip() or None)
    assert max(len(d.text) for d in docs) > 5000  # the very long Full Text cells survive


def test_scan_of_the_real_corpus_finds_every_file_and_skips_the_readme():
    report = BuildReport(index_dir=REAL / "unused")
    found = scan_corpus(REAL, report)
    sources = {f.source for f in found}
    assert "README.md" not in sources
    assert report.failed == []
    assert sources == {p.relative_to(REAL).as_posix() for p in _indexable()}
    assert any("¿" in s for s in sources)  # non-ASCII file names survive
    assert all(len(f.sha256) == 64 and f.size > 0 for f in found)
