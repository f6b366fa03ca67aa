"""The ranker's pseudo-questions (benchmarks/pseudo_questions.py) are drawn group by group: a change to
one group's documents, or an index that numbers its documents in another order, leaves every other
group's questions as they were, so the ranker's training evidence moves only where the corpus did."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from indexer.records import Provenance
from indexer.store import StoredChunk

_BENCHMARKS = str(Path(__file__).resolve().parent.parent / "benchmarks")
sys.path.insert(0, _BENCHMARKS)
try:
    import pseudo_questions
finally:
    sys.path.remove(_BENCHMARKS)

SENTENCE = "The court of appeal in {place} published {n} judgments on its website during the last year."


class _Reader:
    """What pseudo_questions reads of an index: its passages, by id, grouped into documents."""

    def __init__(self, documents: list[tuple[str, int | None, str]]) -> None:
        self.chunks: dict[int, StoredChunk] = {}
        for document_id, (source, page, language) in enumerate(documents):
            provenance = Provenance(source=source, kind="report", title=source, page=page, language=language)
            for part in range(2):  # two passages each: a document with one is never asked about
                cid = len(self.chunks)
                text = SENTENCE.format(place=f"{source} page {page}", n=part + 2)
                self.chunks[cid] = StoredChunk(cid, provenance, text, 0, len(text), language, document_id)
        self.manifest = SimpleNamespace(chunks=len(self.chunks))

    def chunks_by_id(self, ids):
        return {cid: self.chunks[cid] for cid in ids if cid in self.chunks}


def _drawn(reader, corpora, seed=0):
    return [(q.corpus, q.language, reader.chunks[q.excluded].provenance.source, reader.chunks[q.excluded].provenance.page)
            for q in pseudo_questions.pseudo_questions(reader, corpora, per_group=3, seed=seed)]


def test_a_groups_draw_depends_on_its_own_documents_only(tmp_path):
    for name in ("english", "spanish"):
        (tmp_path / name).mkdir()
    english = [(f"english/report-{n}.pdf", page, "en") for n in range(4) for page in (1, 2)]
    spanish = [(f"spanish/informe-{n}.pdf", page, "es") for n in range(4) for page in (1, 2)]
    for source, _, _ in english + spanish:
        (tmp_path / source).touch()
    before = _drawn(_Reader(english + spanish), {"all": tmp_path})
    # English gains a document, and the new index numbers every document in another order.
    (tmp_path / "english/report-9.pdf").touch()
    after = _drawn(_Reader(list(reversed(spanish)) + [("english/report-9.pdf", 1, "en")] + english), {"all": tmp_path})
    assert [q for q in before if q[1] == "es"] == [q for q in after if q[1] == "es"]
    assert len([q for q in before if q[1] == "es"]) == 3
    # a draw is reproducible, and another seed draws another sample
    assert _drawn(_Reader(english + spanish), {"all": tmp_path}) == before
    assert _drawn(_Reader(english + spanish), {"all": tmp_path}, seed=1) != before


def test_several_draws_are_the_single_draws_one_after_another(tmp_path):
    documents = [(f"report-{n}.pdf", page, "en") for n in range(6) for page in (1, 2)]
    for source, _, _ in documents:
        (tmp_path / source).touch()
    reader = _Reader(documents)
    together = pseudo_questions.pseudo_question_draws(reader, {"all": tmp_path}, per_group=3, seed=5, draws=2)
    assert together == (pseudo_questions.pseudo_questions(reader, {"all": tmp_path}, per_group=3, seed=5)
                        + pseudo_questions.pseudo_questions(reader, {"all": tmp_path}, per_group=3, seed=6))
