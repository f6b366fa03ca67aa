"""Every surface cites a passage the same way, the citation says what the page prints, and the
verbatim guarantee is a check that can fail (issue 25)."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from indexer.loaders import load_file
from indexer.loaders.html import load_html
from indexer.loaders.markdown import load_markdown
from indexer.records import Provenance, citation_label, citation_place
from search import Hit, extractive_summary
from search.__main__ import _render
from search.briefing import Pin, briefing_markdown
from webui import render

from conftest import STARTER_CORPUS

REPORT = Provenance(source="reports/legal-aid.pdf", kind="report", title="Free Legal Aid",
                    page=5, page_label="3", section="Free Legal Aid > Eligibility")
OTHER_PAGE = Provenance(source="reports/legal-aid-2019.pdf", kind="report", title="Free Legal Aid (2019)",
                        page=9, page_label="7")
PASSAGE = "Legal aid is decided within forty-eight hours. Appeals follow the same rule."


def _hit(provenance: Provenance = REPORT, text: str = PASSAGE, **changes) -> Hit:
    values = dict(rank=1, score=0.5, chunk_id=7, document_id=3, provenance=provenance, text=text, char_start=0,
                  char_end=len(text), language="en", highlight=(0, len(text)), part="Commitment 18",
                  also_in=(OTHER_PAGE,), also_in_parts=("Commitment 2",))
    values.update(changes)
    return Hit(**values)


# --- one citation on every surface -------------------------------------------------------------------


def test_every_surface_cites_a_hit_the_same_way():
    hit = _hit()
    expected = "Free Legal Aid, p. 3 (PDF page 5), § Eligibility, Commitment 18"
    assert hit.citation == expected
    assert _render([hit]).splitlines()[0] == f"1. {expected}"
    assert hit.to_dict()["citation"] == expected
    card = render.render_card(hit)
    assert html.unescape(re.search(r'<span class="jx-cite">(.*?)</span>', card).group(1)) == expected
    pin = Pin.from_hit(hit)
    assert pin.citation == expected
    assert Pin.from_dict(hit.to_dict()).place == pin.place == "p. 3 (PDF page 5), § Eligibility, Commitment 18"
    note = briefing_markdown([pin], "Legal aid", "2026-12-05T00:00:00+00:00").replace("\\", "")
    assert f"[^1]: {expected}." in note
    sources = note.split("## Sources")[1]
    assert "**Free Legal Aid** — p. 3 (PDF page 5), § Eligibility, Commitment 18 — " in sources


def test_also_in_entries_keep_the_printed_label_and_part_everywhere():
    hit = _hit()
    expected = "Free Legal Aid (2019), p. 7 (PDF page 9), Commitment 2"
    assert citation_label(OTHER_PAGE, "Commitment 2") == expected
    assert f"also in: {expected}" in _render([hit])
    assert hit.to_dict()["also_in"][0]["citation"] == expected
    assert expected in html.unescape(render.render_card(hit))
    assert " p.9" not in _render([hit])


def test_the_citation_shows_both_numbers_only_when_they_differ():
    same = dataclasses.replace(REPORT, page=3, page_label="3", section=None)
    assert citation_label(same) == "Free Legal Aid, p. 3"
    roman = dataclasses.replace(REPORT, page=2, page_label="ii", section=None)
    assert citation_label(roman) == "Free Legal Aid, p. ii (PDF page 2)"


def test_a_page_that_prints_no_number_is_cited_by_its_pdf_page():
    unprinted = dataclasses.replace(REPORT, page_label="5", section=None, metadata={"page label": "physical"})
    assert citation_label(unprinted) == "Free Legal Aid, PDF page 5"
    assert Pin.from_hit(_hit(unprinted, part=None)).place == "PDF page 5"


def test_a_page_read_by_ocr_says_so():
    scanned = dataclasses.replace(REPORT, section=None, metadata={"read by": "OCR (Tesseract, spa)"})
    assert citation_label(scanned) == "Free Legal Aid, p. 3 (PDF page 5), read by OCR"


def test_a_record_cites_its_status_and_lead_agency_when_short():
    record = Provenance(source="trackers/mj.md", kind="guide", title="Digital courts", section="Progress",
                        metadata={"status": "In progress", "lead agency": "Ministry of Justice"})
    assert citation_label(record) == "Digital courts, § Progress (In progress; Ministry of Justice)"
    long = dataclasses.replace(record, metadata={"status": "x" * 200})
    assert citation_label(long) == "Digital courts, § Progress"


def test_the_declared_language_wins_over_the_detected_one():
    declared = dataclasses.replace(REPORT, language="es")
    hit = _hit(declared, language="en")
    assert hit.to_dict()["language"] == "es"
    assert "Spanish" in render.render_card(hit) or "Español" in render.render_card(hit)


# --- one rule for the section path -------------------------------------------------------------------


def test_a_heading_that_only_starts_the_title_stays_in_the_citation():
    p = Provenance(source="g.md", kind="guide", title="Open Justice in Practice", section="Open > Courts")
    assert citation_label(p) == "Open Justice in Practice, § Open > Courts"
    same = dataclasses.replace(p, section="open  JUSTICE in practice > Courts")
    assert citation_label(same) == "Open Justice in Practice, § Courts"


def test_loaders_and_citation_follow_the_same_section_rule(tmp_path):
    md = tmp_path / "open.md"
    md.write_text("# Open Justice  in practice\n\nIntro text.\n\n## Courts\n\nCourts publish decisions.\n\n"
                  "# Open\n\n## Data\n\nData is published.\n", encoding="utf-8")
    documents, _ = load_markdown(md, "open.md")
    sections = {d.provenance.section for d in documents}
    assert "Courts" in sections and "Open > Data" in sections
    page = tmp_path / "open.html"
    page.write_text("<html><head><title>Open Justice in practice</title></head><body>"
                    "<h1>open justice IN practice</h1><h2>Courts</h2><p>Courts publish decisions.</p>"
                    "<h1>Open</h1><h2>Data</h2><p>Data is published.</p></body></html>", encoding="utf-8")
    documents, _ = load_html(page, "open.html")
    sections = {d.provenance.section for d in documents}
    assert "Courts" in sections and "Open > Data" in sections


# --- the verbatim guarantee can fail -----------------------------------------------------------------


def test_the_verbatim_check_reads_the_stored_document_at_the_passage_offsets():
    document = "Preamble. " + PASSAGE + " Annex."
    start = document.index(PASSAGE)
    good = _hit(char_start=start, char_end=start + len(PASSAGE))
    question = "legal aid decided forty-eight hours"
    assert render.render_summary(question, [good], documents={3: document}).count("forty-eight hours") == 1
    stored = [document[good.char_start:good.char_end]]
    assert extractive_summary(question, [(good.text, "en")], stored=stored)
    shifted = dataclasses.replace(good, char_start=start + 4, char_end=start + 4 + len(PASSAGE))
    stored = [document[shifted.char_start:shifted.char_end]]
    assert extractive_summary(question, [(shifted.text, "en")], stored=stored) == []
    assert "forty-eight hours" not in render.render_summary(question, [shifted], documents={3: document})


# --- every hit of the starter index is where its citation says ---------------------------------------

QUESTIONS = ["free legal aid eligibility", "publish court decisions online", "paralegals community justice",
             "justice data surveys", "women access to justice", "online dispute resolution",
             "justicia abierta", "commitment to digitalise courts"]


@pytest.fixture(scope="module")
def loaded_pages():
    """(source, page) -> the Provenance the loader records, read again from the starter corpus."""
    pages: dict[tuple[str, int], Provenance] = {}
    for path in sorted((STARTER_CORPUS / "reports").glob("*.pdf")):
        source = path.relative_to(STARTER_CORPUS).as_posix()
        for document in load_file(path, source).documents:
            pages[(source, document.provenance.page)] = document.provenance
    return pages


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_hit_is_where_its_citation_says(starter_searcher, loaded_pages, question):
    hits = starter_searcher.search(question, k=8)
    assert hits
    reader = starter_searcher.reader
    for hit in hits:
        document = starter_searcher.document_text(hit.document_id)
        assert document[hit.char_start:hit.char_end] == hit.text, hit.citation
        assert reader.document_span(hit.document_id, hit.char_start, hit.char_end) == hit.text
        assert len(hit.also_in_parts) == len(hit.also_in)  # every "also in" place was asked for its part
        p = hit.provenance
        if p.page is None:
            continue
        assert hit.text in document  # the page's own text holds the passage
        recorded = loaded_pages[(p.source, p.page)]
        assert p.page_label == recorded.page_label
        assert p.metadata.get("page label") == recorded.metadata.get("page label")
        href, _ = render.source_href(hit)
        assert href.endswith(f"#page={p.page}")
        if hit.link:
            assert hit.link.endswith(f"#page={p.page}")


def test_a_web_page_title_counts_without_its_site_name():
    p = Provenance(source="g.html", kind="guide", title="Open Justice | OGP Guides", section="Open Justice > Courts")
    assert citation_label(p) == "Open Justice | OGP Guides, § Courts"
    assert citation_label(dataclasses.replace(p, section="Open > Courts")) == "Open Justice | OGP Guides, § Open > Courts"


def test_a_title_as_long_as_a_passage_is_cut_in_the_citation():
    """Some records' titles are their whole text (an export commitment's runs to 1,125 characters): the
    citation cuts it at a word with an ellipsis; a title of ordinary length is cited whole."""
    long_title = ("To strengthen transparency about expected contract opportunities and accessibility of the "
                  "procurement process the government will publish a forecast of every contract above the "
                  "threshold each quarter, with the buyer, the value and the planned date of the tender")
    p = Provenance(source="c.csv", kind="commitment", title=long_title, commitment_id="US0001",
                   country="United States", year=2022)
    cited = citation_label(p)
    assert cited.startswith("US0001, United States, 2022: To strengthen transparency") and cited.endswith(" …")
    assert len(cited) < 200 and long_title[:150] in cited
    short = Provenance(source="a.pdf", kind="report", title="Free Legal Aid: A Guidance Note", page=1, page_label="1")
    assert citation_label(short) == "Free Legal Aid: A Guidance Note, p. 1"


def test_a_passage_running_on_between_two_pages_that_print_one_number_cites_the_pdf_pages():
    # Found by the session-17 audit: "pp. 1–1 (PDF pages 1–2)"
    first = Provenance(source="a.pdf", kind="report", title="Ficha", page=1, page_label="1")
    assert citation_label(first, through=dataclasses.replace(first, page=2)) == "Ficha, PDF pages 1–2"
    assert citation_label(first, through=dataclasses.replace(first, page=2, page_label="2")) == "Ficha, pp. 1–2"


def test_a_part_of_a_trackers_commitment_page_is_cited_with_its_part():
    """A tracker's page for a commitment is typed as the commitment, and its progress reports are parts
    of it: two cards of one page must not read alike. The export's records have no parts."""
    page = Provenance(source="us/_subcommitments/us0143-3.md", kind="commitment", commitment_id="US0143",
                      country="United States", title="Treatment for substance use disorders in prisons",
                      metadata={"status": "In Progress"})
    assert citation_label(page) == "US0143, United States: Treatment for substance use disorders in prisons (In Progress)"
    progress = dataclasses.replace(page, section="Aug 2023 progress")
    assert citation_label(progress) == ("US0143, United States: Treatment for substance use disorders in prisons, "
                                        "§ Aug 2023 progress (In Progress)")
    assert citation_place(progress) == "US0143, § Aug 2023 progress" and citation_place(page) == "US0143"


def test_a_passage_that_runs_on_to_the_next_page_cites_both_on_every_surface():
    next_page = dataclasses.replace(REPORT, page=6, page_label="4", section=None)
    hit = _hit(runs_on=next_page, runs_on_chunk_id=8, part=None)
    expected = "Free Legal Aid, pp. 3–4 (PDF pages 5–6), § Eligibility"
    assert hit.citation == expected
    assert _render([hit]).splitlines()[0] == f"1. {expected}"
    assert hit.to_dict()["pages"] == [5, 6] and hit.to_dict()["citation"] == expected
    assert expected in html.unescape(render.render_card(hit))
    assert 'data-through="8"' in render.render_card(hit, language="es")
    for pin in (Pin.from_hit(hit), Pin.from_dict(hit.to_dict())):
        assert pin.citation == expected and pin.place == "pp. 3–4 (PDF pages 5–6), § Eligibility"
    unprinted = {"page label": "physical"}
    plain = _hit(dataclasses.replace(REPORT, section=None, metadata=unprinted), part=None,
                 runs_on=dataclasses.replace(REPORT, page=6, page_label="6", section=None, metadata=unprinted))
    assert plain.citation == "Free Legal Aid, PDF pages 5–6"
    assert Pin.from_dict(plain.to_dict()).place == "PDF pages 5–6"
    same = dataclasses.replace(REPORT, page=3, page_label="3", section=None)
    assert citation_label(same, through=dataclasses.replace(same, page=4, page_label="4")) == "Free Legal Aid, pp. 3–4"


def test_in_spanish_and_french_the_citations_own_words_follow_the_reader():
    """The source's words (title, printed page, heading) stay as written; the words the citation adds
    ("PDF page", "read by OCR", a twin's language) are the reader's, on the card, the basket and the note."""
    from webui.i18n import citation_words
    from webui.notes import localised_markdown

    scanned = dataclasses.replace(REPORT, metadata={"read by": "OCR (Tesseract, spa)"})
    twin = dataclasses.replace(OTHER_PAGE, language="fr")
    hit = _hit(scanned, part=None, also_in=(twin,), also_in_parts=(None,))
    card = html.unescape(render.render_card(hit, language="es"))
    assert "Free Legal Aid, p. 3 (página 5 del PDF), § Eligibility, leída por OCR" in card
    assert "Free Legal Aid (2019), p. 7 (página 9 del PDF) (Francés)" in card
    basket = html.unescape(render.render_basket([Pin.from_hit(hit).to_dict()], language="fr"))
    assert "Free Legal Aid, p. 3 (page 5 du PDF), § Eligibility, lue par OCR" in basket
    note = localised_markdown([Pin.from_hit(hit)], "Nota", "2026-12-05T00:00:00+00:00", "es").replace("\\", "")
    assert "p. 3 (página 5 del PDF), § Eligibility, leída por OCR" in note and "PDF page" not in note
    assert citation_words("en") == citation_words("de")  # English where the app has no words of its own
    assert hit.citation == "Free Legal Aid, p. 3 (PDF page 5), § Eligibility, read by OCR"  # CLI and JSON
