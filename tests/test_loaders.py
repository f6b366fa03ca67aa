"""Loaders: each format becomes the right Documents with the right provenance, or a LoaderError
whose reason a non-engineer can act on. Every file is written in the test under tmp_path."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import make_pdf

from indexer.errors import LoaderError
from indexer.loaders import SIDECAR_SUFFIX, is_indexable, load_file
from indexer.loaders.commitments_csv import ID_COLUMN
from indexer.loaders.pdf import PAGE_LABEL, RUNNING_LINES

PAGES = [
    "Legal aid eligibility. People below the income threshold receive free advice.",
    "Court statistics. The clearance rate compares resolved and incoming cases.",
    "Community paralegals. Paralegals help people solve everyday legal problems.",
]


def _load(path: Path, source: str | None = None):
    return load_file(path, source or path.name)


def _loader_error(path: Path, source: str | None = None) -> LoaderError:
    with pytest.raises(LoaderError) as info:
        _load(path, source)
    err = info.value
    assert err.path == (source or path.name)
    assert err.reason and err.reason in str(err)
    return err


# -- PDF ----------------------------------------------------------------------------------


def test_pdf_one_document_per_page_with_one_based_pages_and_title(tmp_path):
    pdf = make_pdf(tmp_path / "legal-aid-note.pdf", PAGES, title="Legal Aid Guidance Note")
    loaded = _load(pdf, "reports/legal-aid-note.pdf")
    docs = loaded.documents
    assert [d.provenance.page for d in docs] == [1, 2, 3]
    # no /PageLabels and no printed number: the physical numbers, marked as such
    assert [d.provenance.page_label for d in docs] == ["1", "2", "3"]
    assert all(d.provenance.metadata[PAGE_LABEL] == "physical" for d in docs)
    for doc, text in zip(docs, PAGES):
        assert doc.text == text
        p = doc.provenance
        assert p.kind == "report"
        assert p.source == "reports/legal-aid-note.pdf"
        assert p.title == "Legal Aid Guidance Note"
    assert loaded.warnings == []


def test_pdf_without_useful_title_falls_back_to_file_name(tmp_path):
    pdf = make_pdf(tmp_path / "court-data_note.pdf", PAGES[:1], title="Microsoft Word - draft3.docx")
    assert _load(pdf).documents[0].provenance.title == "Court data note"


@pytest.mark.parametrize("tool_title", ["PowerPoint Presentation", "Presentación de PowerPoint",
                                        "Présentation PowerPoint", "Sin título", "Documento1"])
def test_a_pdf_titled_by_its_authoring_tool_takes_its_file_name(tmp_path, tool_title):
    pdf = make_pdf(tmp_path / "crime-in-england.pdf", PAGES[:1], title=tool_title)
    assert _load(pdf).documents[0].provenance.title == "Crime in england"


def test_pdf_page_labels_come_from_the_page_labels_tree(tmp_path):
    from pypdf import PdfWriter
    from pypdf.constants import PageLabelStyle

    plain = make_pdf(tmp_path / "plain.pdf", PAGES + ["Annex. Tables of figures."], title="Handbook")
    writer = PdfWriter(clone_from=str(plain))
    writer.set_page_label(0, 0, style=PageLabelStyle.LOWERCASE_ROMAN)  # cover: "i"
    writer.set_page_label(1, 2, style=PageLabelStyle.DECIMAL, start=21)  # "21", "22"
    writer.set_page_label(3, 3, style=PageLabelStyle.DECIMAL, prefix="A-", start=1)  # "A-1"
    labelled = tmp_path / "labelled.pdf"
    writer.write(labelled)

    docs = _load(labelled).documents
    assert [(d.provenance.page, d.provenance.page_label) for d in docs] == [
        (1, "i"), (2, "21"), (3, "22"), (4, "A-1")]
    assert docs[1].text == PAGES[1]


def test_pdf_with_user_password_is_refused_with_a_reason_about_the_password(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(make_pdf(tmp_path / "src.pdf", PAGES)))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    writer.write(locked)
    err = _loader_error(locked)
    assert "password" in err.reason.lower()


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(make_pdf(tmp_path / "src.pdf", PAGES, title="Open Note")))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    opened = tmp_path / "owner-only.pdf"
    writer.write(opened)
    docs = _load(opened).documents
    assert [d.text for d in docs] == PAGES
    assert [d.provenance.page for d in docs] == [1, 2, 3]


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_truncated_pdf_is_a_loader_error_or_only_intact_pages(tmp_path, fraction):
    data = make_pdf(tmp_path / "whole.pdf", PAGES).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: int(len(data) * fraction)])
    try:
        docs = _load(cut).documents
    except LoaderError as err:
        assert err.path == "cut.pdf"
        assert "damaged" in err.reason or "incomplete" in err.reason
    else:  # a lenient parser may recover whole pages, but never invent text
        assert docs and all(d.text in PAGES for d in docs)


def test_binary_file_named_pdf_is_refused_as_not_a_pdf(tmp_path):
    fake = tmp_path / "photo.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    err = _loader_error(fake)
    assert "not a pdf" in err.reason.lower()


def test_garbage_after_pdf_header_is_reported_as_damaged(tmp_path):
    fake = tmp_path / "garbage.pdf"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 16)
    err = _loader_error(fake)
    assert "damaged" in err.reason or "no text" in err.reason or "OCR" in err.reason


def test_image_only_pdf_needs_ocr(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 120, 160, style="F")  # a "scan": drawing, no text layer
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    err = _loader_error(path)
    assert "needs OCR" in err.reason


def test_pdf_running_lines_move_out_of_the_body_into_the_pages_metadata_and_label_the_page(tmp_path):
    body = ["Courts publish their statistics every quarter.", "Judges explain delays in open session.",
            "Clerks answer questions about fees.", "Mediators report settlement rates."]
    pages = [f"UNCLASSIFIED\n{n + 1}\nCommitment {n + 1}\n{text}\nCourt Data for Open Justice - page {n + 21}"
             for n, text in enumerate(body)]
    pages.append("Annex\nThe same words, Court Data for Open Justice, inside a sentence stay.\nCourt Data for Open "
                 "Justice - page 25")
    loaded = _load(make_pdf(tmp_path / "court-data.pdf", pages))
    texts = [d.text for d in loaded.documents]
    assert texts[0] == "Commitment 1\nCourts publish their statistics every quarter."
    assert all("page 2" not in t and "UNCLASSIFIED" not in t for t in texts)
    assert all(t.startswith(f"Commitment {n + 1}\n") for n, t in enumerate(texts[:4]))  # on every page, kept
    assert "inside a sentence stay." in texts[4]
    assert [d.provenance.page for d in loaded.documents] == [1, 2, 3, 4, 5]
    # what left the body is kept, page by page, as that page's running lines
    running = [d.provenance.metadata[RUNNING_LINES] for d in loaded.documents]
    assert running[0] == "UNCLASSIFIED\n1\nCourt Data for Open Justice - page 21"
    assert running[4] == "Court Data for Open Justice - page 25"
    # the bare number counts the pages (a constant offset to the physical page) and wins over "page 23";
    # page 5 prints none of it: its physical number, marked as such
    assert [d.provenance.page_label for d in loaded.documents] == ["1", "2", "3", "4", "5"]
    assert [PAGE_LABEL in d.provenance.metadata for d in loaded.documents] == [False] * 4 + [True]


def test_pdf_printed_page_numbers_become_labels_when_the_pdf_has_no_page_labels_tree(tmp_path):
    pages = [f"Annual justice report - page {n + 3}\nDistrict courts heard {appeals} appeals this month."
             for n, appeals in enumerate([5, 2, 9, 4, 7, 3])]
    docs = _load(make_pdf(tmp_path / "annual.pdf", ["Cover of the annual report"] + pages)).documents
    assert [(d.provenance.page, d.provenance.page_label) for d in docs] == [
        (1, "1"), (2, "3"), (3, "4"), (4, "5"), (5, "6"), (6, "7"), (7, "8")]
    assert docs[0].provenance.metadata[PAGE_LABEL] == "physical" and PAGE_LABEL not in docs[1].provenance.metadata
    assert docs[3].provenance.metadata[RUNNING_LINES] == "Annual justice report - page 5"


def test_pdf_lines_that_follow_a_pattern_but_change_their_numbers_are_content(tmp_path):
    districts, counts = [4, 1, 3, 5, 2], [5, 2, 9, 4, 7]
    pages = [f"Open Justice Report 2024 - page {n + 1}\nDistrict {d} resolved {c} disputes.\nCourts listed "
             f"every hearing online in district {d}.\nTotal hearings: {c * 11}"
             for n, (d, c) in enumerate(zip(districts, counts))]
    texts = [d.text for d in _load(make_pdf(tmp_path / "report.pdf", pages)).documents]
    # a year that stays and a page number that grows: a running title; numbers that jump about: content
    assert texts[2] == "District 3 resolved 9 disputes.\nCourts listed every hearing online in district 3.\nTotal hearings: 99"


def test_pdf_per_page_references_and_statute_heads_that_grow_are_content_not_furniture(tmp_path):
    # Recurring edge lines whose numbers grow without numbering the pages: a statute's page head
    # (articles run over several pages) and a reference code printed with each page's number.
    articles = [12, 12, 13, 14, 14, 15]
    duties = ["asistencia jurídica", "un intérprete", "un defensor", "ser oída", "recurrir", "la información"]
    pages = [f"Artículo {a}\nLa persona tiene derecho a {duty}.\nRef. JR-{n + 1:04d}\nCódigo Procesal - pág. {n + 1}"
             for n, (a, duty) in enumerate(zip(articles, duties))]
    docs = _load(make_pdf(tmp_path / "codigo.pdf", pages)).documents
    assert docs[2].text.startswith("Artículo 13\n") and "JR-0003" in docs[2].text
    # the line that numbers the pages is the furniture, and labels them
    assert [d.provenance.metadata[RUNNING_LINES] for d in docs][2] == "Código Procesal - pág. 3"
    assert [d.provenance.page_label for d in docs] == ["1", "2", "3", "4", "5", "6"]


def test_pdf_lines_repeated_on_few_pages_are_kept(tmp_path):
    pages = ["Access to justice\nLegal aid helps people.", "Access to justice\nCourts hear cases.",
             "Budgets\nMoney is tight.", "Staff\nJudges are few.", "Data\nCourts publish data."]
    texts = [d.text for d in _load(make_pdf(tmp_path / "note.pdf", pages)).documents]
    assert texts[0] == "Access to justice\nLegal aid helps people."  # two of five pages: not a running line


def test_pdf_with_some_empty_pages_keeps_text_pages_and_warns(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PAGES[0])
    pdf.add_page()  # blank
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PAGES[2])
    path = tmp_path / "mixed.pdf"
    pdf.output(str(path))
    loaded = _load(path)
    assert [d.provenance.page for d in loaded.documents] == [1, 3]
    assert any("1 of 3 pages" in w for w in loaded.warnings), loaded.warnings


# -- Markdown -----------------------------------------------------------------------------

GUIDE_MD = """---
title: Guide to Legal Empowerment
url: https://example.org/guides/legal-empowerment
language: en
country: Kenya
year: 2021
---
# Guide to Legal Empowerment

Legal empowerment helps people [know the law](https://example.org/law "the law") and use it.

## Community paralegals

Paralegals are **trained** lay people working in their *communities*.

### Funding

Stable funding comes from the [justice budget][budget] and from ![donor logo](logo.png) donors.

## Courts

Courts publish their decisions <https://example.org/decisions>.
"""


def test_markdown_front_matter_is_dropped_and_its_title_and_url_used(tmp_path):
    path = tmp_path / "legal-empowerment.md"
    path.write_text(GUIDE_MD, encoding="utf-8")
    loaded = _load(path, "guides/legal-empowerment.md")
    docs = loaded.documents
    assert loaded.warnings == []
    assert docs
    for doc in docs:
        p = doc.provenance
        assert p.kind == "guide"
        assert p.source == "guides/legal-empowerment.md"
        assert p.title == "Guide to Legal Empowerment"
        assert p.url == "https://example.org/guides/legal-empowerment"
        assert p.language == "en"
        assert p.country == "Kenya"
        assert p.year == 2021
        for front_matter_text in ("title:", "url:", "language:", "---"):
            assert front_matter_text not in doc.text


def test_markdown_sections_are_heading_paths(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(GUIDE_MD, encoding="utf-8")
    by_section = {d.provenance.section: d.text for d in _load(path).documents}
    assert "Community paralegals > Funding" in by_section
    assert "Courts" in by_section
    assert "Community paralegals" in by_section
    assert "Stable funding comes from" in by_section["Community paralegals > Funding"]
    assert "trained lay people" in by_section["Community paralegals"]
    assert "Stable funding" not in by_section["Community paralegals"]  # a sub-section is its own Document
    assert by_section["Courts"].startswith("Courts")  # the heading leads its section's text


def test_markdown_inline_links_are_reduced_to_their_text(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(GUIDE_MD, encoding="utf-8")
    text = "\n".join(d.text for d in _load(path).documents)
    assert "know the law and use it" in text
    assert "justice budget and from donor logo donors" in text
    assert "Paralegals are trained lay people working in their communities." in text
    assert "https://example.org/law" not in text
    assert "logo.png" not in text
    assert "](" not in text and "**" not in text
    assert "publish their decisions https://example.org/decisions." in text  # autolink keeps the address


def test_markdown_broken_front_matter_warns_and_keeps_the_body(tmp_path):
    path = tmp_path / "broken-front.md"
    path.write_text(
        "---\ntitle: [unclosed\nurl: https://example.org/x\n---\n# Paralegal Handbook\n\nBody about paralegals.\n",
        encoding="utf-8",
    )
    loaded = _load(path)
    assert any("front matter" in w for w in loaded.warnings), loaded.warnings
    texts = [d.text for d in loaded.documents]
    assert any("Body about paralegals." in t for t in texts)
    assert all("unclosed" not in t and "url:" not in t for t in texts)  # broken YAML is never indexed
    assert loaded.documents[0].provenance.title == "Paralegal Handbook"  # falls back to the first H1
    assert loaded.documents[0].provenance.url is None


def test_markdown_without_front_matter_takes_title_from_first_heading(tmp_path):
    path = tmp_path / "data-needs.md"
    path.write_text("# Data on Justice Needs\n\n## Surveys\n\nSurveys ask people.\n", encoding="utf-8")
    docs = _load(path).documents
    assert [(d.provenance.title, d.provenance.section) for d in docs] == [("Data on Justice Needs", "Surveys")]


def test_markdown_pasted_from_a_web_editor_keeps_only_what_a_reader_sees(tmp_path):
    path = tmp_path / "encuentro.md"
    path.write_text(
        "# Encuentro de Justicia Abierta\n\n<!--StartFragment-->\n\nEl encuentro reúne a jueces y sociedad civil.\n\n"
        "<!--EndFragment-->\n\n<iframe src=\"https://docs.google.com/forms/x\" width=\"700\">Cargando…</iframe>\n\n"
        "Inscripciones <!-- hasta el viernes --> abiertas. <script>track()</script>\n", encoding="utf-8")
    (doc,) = _load(path).documents
    assert " ".join(doc.text.split()) == "El encuentro reúne a jueces y sociedad civil. Inscripciones abiertas."


def test_markdown_escapes_read_as_the_marks_they_keep(tmp_path):
    # a post exported from a web editor: hard line breaks as backslashes, hashtags escaped
    path = tmp_path / "summit.md"
    path.write_text("# OGP Summit\n\nLet's shape a more open future for Guatemala.\\\n\\\n"
                    "\\#Guatemala \\#OpenGovernment [\\#OGPEstonia](https://example.org/tag) costs \\*two\\* "
                    "**words**\n", encoding="utf-8")
    (doc,) = _load(path).documents
    assert "\\" not in doc.text
    assert "#Guatemala #OpenGovernment #OGPEstonia" in doc.text
    assert doc.text.startswith("Let's shape a more open future for Guatemala.\n")
    assert doc.text.rstrip().endswith("costs *two* words")


def test_invisible_characters_are_left_out_of_text_titles_and_sections(tmp_path):
    # a web editor's byte-order mark inside a word, a zero-width space, a soft hyphen
    path = tmp_path / "post.md"
    path.write_text("# Encuentro\u200b 2023\n\n## D\ufeffía 1\n\nLa infor\u00admación del d\ufeffía.\n", encoding="utf-8")
    (doc,) = _load(path).documents
    assert doc.provenance.title == "Encuentro 2023" and doc.provenance.section == "Día 1"
    assert doc.text.endswith("La información del día.") and "\ufeff" not in doc.text


def test_markdown_code_fences_do_not_make_headings(tmp_path):
    path = tmp_path / "fence.md"
    path.write_text("# Title\n\n## Real\n\nText.\n\n```\n# not a heading\n```\n", encoding="utf-8")
    sections = [d.provenance.section for d in _load(path).documents]
    assert sections == ["Real"]


def test_markdown_heading_keeps_a_hash_that_ends_a_word(tmp_path):
    path = tmp_path / "csharp.md"
    path.write_text("# Tools\n\n## Courts in C# and F#\n\nCase software.\n\n## Closed ##\n\nMore.\n", encoding="utf-8")
    sections = [d.provenance.section for d in _load(path).documents]
    assert sections == ["Courts in C# and F#", "Closed"]


# -- HTML ---------------------------------------------------------------------------------

PAGE_HTML = """<!doctype html>
<html lang="en-GB">
<head>
  <title>Open Justice &amp; Courts</title>
  <link rel="canonical" href="https://example.org/open-justice">
  <style>.secret-style { color: red }</style>
  <script>var SCRIPTTEXT = 1;</script>
</head>
<body>
  <nav><a href="/">Home</a> NAVTEXT</nav>
  <header><p>HEADERTEXT banner</p></header>
  <div class="sidebar">SIDEBARTEXT outside the main area</div>
  <main>
    <h1>Open Justice</h1>
    <p>Open justice means courts work in public.</p>
    <h2>Publishing judgments</h2>
    <p>Courts publish their judgments online.</p>
    <script>console.log("INLINESCRIPT")</script>
    <h3>Anonymisation</h3>
    <p>Names of children are removed.</p>
    <h2>Open hearings</h2>
    <p>Hearings are open to the public.</p>
  </main>
  <footer>FOOTERTEXT copyright</footer>
</body>
</html>
"""


def test_html_main_text_without_chrome_scripts_or_styles(tmp_path):
    path = tmp_path / "open-justice.html"
    path.write_text(PAGE_HTML, encoding="utf-8")
    loaded = _load(path, "guides/open-justice.html")
    text = "\n".join(d.text for d in loaded.documents)
    for chrome in ("NAVTEXT", "HEADERTEXT", "SIDEBARTEXT", "FOOTERTEXT", "SCRIPTTEXT", "INLINESCRIPT",
                   "secret-style", "Home"):
        assert chrome not in text
    assert "Open justice means courts work in public." in text
    assert "Names of children are removed." in text
    for doc in loaded.documents:
        p = doc.provenance
        assert p.title == "Open Justice & Courts"
        assert p.kind == "guide"
        assert p.url == "https://example.org/open-justice"
        assert p.language == "en"


def test_html_headings_become_section_paths(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE_HTML, encoding="utf-8")
    by_section = {d.provenance.section: d.text for d in _load(path).documents}
    assert by_section == {
        "Open Justice": "Open Justice\n\nOpen justice means courts work in public.",
        "Open Justice > Publishing judgments": "Publishing judgments\n\nCourts publish their judgments online.",
        "Open Justice > Publishing judgments > Anonymisation": "Anonymisation\n\nNames of children are removed.",
        "Open Justice > Open hearings": "Open hearings\n\nHearings are open to the public.",
    }


def test_html_without_main_keeps_body_text_and_uses_h1_when_no_title(tmp_path):
    path = tmp_path / "plain-page.html"
    path.write_text(
        "<html><body><nav>NAVTEXT</nav><h1>Mediation</h1><p>Mediators help parties agree.</p>"
        "<h2>Costs</h2><p>Mediation is cheaper than court.</p><footer>FOOTERTEXT</footer></body></html>",
        encoding="utf-8",
    )
    docs = _load(path).documents
    assert {d.provenance.title for d in docs} == {"Mediation"}
    text = "\n".join(d.text for d in docs)
    assert "Mediators help parties agree." in text and "Mediation is cheaper than court." in text
    assert "NAVTEXT" not in text and "FOOTERTEXT" not in text
    assert "Costs" in {d.provenance.section for d in docs}


def test_html_with_omitted_head_end_tag_keeps_the_body(tmp_path):
    path = tmp_path / "no-head-end.html"
    path.write_text("<html><head><title>Legal aid</title><body><h1>Legal aid</h1>"
                    "<p>Legal aid is free for people on low incomes.</p></body></html>", encoding="utf-8")
    docs = _load(path).documents
    assert any("free for people on low incomes" in d.text for d in docs)


# -- plain text ---------------------------------------------------------------------------


def test_text_utf8_and_markdown_links_reduced(tmp_path):
    path = tmp_path / "coalition_about.txt"
    path.write_text("The Coalition on Justice works with [OGP members](https://ogp.org/members).\n", encoding="utf-8")
    loaded = _load(path, "coalition/coalition_about.txt")
    (doc,) = loaded.documents
    assert doc.text == "The Coalition on Justice works with OGP members."
    assert doc.provenance.kind == "text"
    assert doc.provenance.title == "Coalition about"
    assert loaded.warnings == []


TERMS = """The Justice Coalition

Terms of Reference

May 2025

The Coalition brings governments and civil society together. It was founded in 2019.

Membership

Any member with a justice commitment may join.

- Members agree to share progress.

Part Two

Meetings

The Coalition will meet twice a year, online when needed.
"""


def test_text_with_heading_lines_is_one_document_per_section(tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text(TERMS, encoding="utf-8")
    docs = _load(path, "coalition/terms.txt").documents
    # The title block stays with the opening prose; "Part Two" has nothing under it and joins
    # "Meetings"; the bullet and the sentences are not headings.
    assert [d.provenance.section for d in docs] == [None, "Membership", "Meetings"]
    assert docs[0].text.startswith("The Justice Coalition\n\nTerms of Reference\n\nMay 2025\n\nThe Coalition brings")
    assert docs[1].text == "Membership\n\nAny member with a justice commitment may join.\n\n- Members agree to share progress."
    assert docs[2].text == "Part Two\n\nMeetings\n\nThe Coalition will meet twice a year, online when needed."
    assert {d.provenance.title for d in docs} == {"Terms"} and {d.provenance.kind for d in docs} == {"text"}


def test_text_without_heading_lines_stays_one_document(tmp_path):
    path = tmp_path / "notes.txt"
    body = "About\nThe Coalition meets yearly.\nRelated Content\nCosta Rica pilot.\n\nIt reports to the Steering Committee."
    path.write_text(body, encoding="utf-8")
    (doc,) = _load(path).documents
    assert doc.text == body and doc.provenance.section is None


def test_text_falls_back_to_windows_1252_with_a_warning(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("Café fees rose by 5 € — “quoted”.".encode("cp1252"))
    loaded = _load(path)
    assert loaded.documents[0].text == "Café fees rose by 5 € — “quoted”."
    assert any("Windows-1252" in w for w in loaded.warnings), loaded.warnings


def test_binary_file_named_txt_is_refused(tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(b"abc\x00\x01\x02" * 100)
    assert "binary" in _loader_error(path).reason


# -- commitments CSV ----------------------------------------------------------------------

CSV_COLUMNS = [
    ID_COLUMN, "Country/Locality", "Action Plan Number", "Region", "Year Of Submission", "Commitment Title",
    "Full Text", "Lead Institution", "Potential Impact", "Completion (End Of Term)", "URL",
    "Justice", "Access to Justice", "Open Justice", "Gender",
]


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in CSV_COLUMNS})
    return buf.getvalue()


ROWS = [
    {ID_COLUMN: "MK0164", "Country/Locality": "North Macedonia", "Action Plan Number": "4", "Region": "Europe",
     "Year Of Submission": "2018", "Commitment Title": "Free legal aid for the poor",
     "Full Text": "Expand primary legal aid.\nOpen regional legal aid offices.",
     "Lead Institution": "Ministry of Justice", "Potential Impact": "Moderate", "Completion (End Of Term)": "nd",
     "URL": "https://www.opengovpartnership.org/members/north-macedonia/commitments/MK0164/",
     "Justice": "1", "Access to Justice": "1", "Open Justice": "0", "Gender": ""},
    {ID_COLUMN: "AR0013", "Country/Locality": "Argentina", "Region": "Americas", "Year Of Submission": "2017-2019",
     "Commitment Title": "Open judiciary data", "Full Text": "Publish court data sets.",
     "Lead Institution": "Supreme Court", "Potential Impact": "Transformative",
     "Completion (End Of Term)": "Substantial", "Justice": "1", "Open Justice": "1", "Gender": "1"},
    {ID_COLUMN: "", "Country/Locality": "Nowhere", "Commitment Title": "Row without id"},
    {ID_COLUMN: "AR0013", "Country/Locality": "Argentina", "Commitment Title": "Duplicate row"},
    {ID_COLUMN: "CL0042", "Country/Locality": "Chile", "Commitment Title": "", "Full Text": ""},
]


def test_commitments_csv_one_document_per_row_with_facts(tmp_path):
    path = tmp_path / "commitments.csv"
    path.write_text(_csv_text(ROWS), encoding="utf-8")
    loaded = _load(path, "commitments/commitments.csv")
    docs = loaded.documents
    assert [d.provenance.commitment_id for d in docs] == ["MK0164", "AR0013"]
    mk, ar = docs
    p = mk.provenance
    assert p.kind == "commitment"
    assert p.source == "commitments/commitments.csv"
    assert p.title == "Free legal aid for the poor"
    assert p.country == "North Macedonia"
    assert p.region == "Europe"
    assert p.year == 2018
    assert p.url == "https://www.opengovpartnership.org/members/north-macedonia/commitments/MK0164/"
    assert p.policy_areas == ("Justice", "Access to Justice")  # only the flags set to '1'
    assert p.metadata["lead_institution"] == "Ministry of Justice"
    assert p.metadata["irm_potential_impact"] == "Moderate"
    assert p.metadata["action_plan"] == "4"
    assert "irm_completion_end_of_term" not in p.metadata  # 'nd' means missing
    assert mk.text == "Free legal aid for the poor\n\nExpand primary legal aid.\nOpen regional legal aid offices."
    assert ar.provenance.year == 2017  # "2017-2019" -> first year
    assert set(ar.provenance.policy_areas) == {"Justice", "Open Justice", "Gender"}
    assert ar.provenance.metadata["irm_completion_end_of_term"] == "Substantial"
    assert ar.text == "Open judiciary data\n\nPublish court data sets."
    warnings = " | ".join(loaded.warnings)
    assert "row 4: no commitment id" in warnings
    assert "duplicate id AR0013" in warnings
    assert "CL0042" in warnings  # no title or text


def test_commitments_csv_without_id_column_names_the_column(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Country,Title,Text\nChile,Courts,Open courts\n", encoding="utf-8")
    err = _loader_error(path)
    assert ID_COLUMN in err.reason
    assert "Country" in err.reason  # says what it found instead


def test_commitments_csv_in_windows_1252(tmp_path):
    rows = [{ID_COLUMN: "CI0001", "Country/Locality": "Côte d'Ivoire", "Commitment Title": "Accès à la justice",
             "Full Text": "Créer des « cliniques juridiques » — 2019.", "Justice": "1"}]
    path = tmp_path / "export-1252.csv"
    path.write_bytes(_csv_text(rows).encode("cp1252"))
    loaded = _load(path)
    (doc,) = loaded.documents
    assert doc.provenance.country == "Côte d'Ivoire"
    assert doc.text == "Accès à la justice\n\nCréer des « cliniques juridiques » — 2019."
    assert any("Windows-1252" in w for w in loaded.warnings)


def test_commitments_csv_with_a_one_megabyte_cell(tmp_path):
    big = ("The ministry will open legal aid offices in every district. " * 20000)[:1_100_000]
    rows = [{ID_COLUMN: "UA0099", "Country/Locality": "Ukraine", "Commitment Title": "Big plan", "Full Text": big},
            {ID_COLUMN: "UA0100", "Country/Locality": "Ukraine", "Commitment Title": "Small plan"}]
    path = tmp_path / "big.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    docs = _load(path).documents
    assert [d.provenance.commitment_id for d in docs] == ["UA0099", "UA0100"]
    assert len(docs[0].text) > 1_000_000
    assert docs[0].text.endswith(big.strip())
    assert docs[1].text == "Small plan"


def test_commitments_csv_header_with_bom_and_spaces(tmp_path):
    text = "\ufeff" + _csv_text(ROWS[:1]).replace(ID_COLUMN, f" {ID_COLUMN} ", 1)
    path = tmp_path / "bom.csv"
    path.write_text(text, encoding="utf-8")
    assert [d.provenance.commitment_id for d in _load(path).documents] == ["MK0164"]


# -- sidecars, empty files, what is indexable ------------------------------------------------


def test_sidecar_overrides_url_title_and_facts(tmp_path):
    pdf = make_pdf(tmp_path / "note.pdf", PAGES[:2], title="Embedded Title")
    (tmp_path / ("note.pdf" + SIDECAR_SUFFIX)).write_text(
        json.dumps({"url": "https://example.org/official.pdf", "title": "Official Title", "country": "Kenya",
                    "year": "2020", "language": "en", "unknown": "ignored"}),
        encoding="utf-8",
    )
    docs = _load(pdf).documents
    assert len(docs) == 2
    for doc in docs:
        p = doc.provenance
        assert (p.url, p.title, p.country, p.year, p.language) == (
            "https://example.org/official.pdf", "Official Title", "Kenya", 2020, "en")
    assert [d.provenance.page for d in docs] == [1, 2]  # pages are the file's own


def test_sidecar_that_is_not_json_warns_and_changes_nothing(tmp_path):
    md = tmp_path / "guide.md"
    md.write_text("# Guide\n\n## Part\n\nText.\n", encoding="utf-8")
    (tmp_path / ("guide.md" + SIDECAR_SUFFIX)).write_text("{not json", encoding="utf-8")
    sidecar_bad_year = tmp_path / "other.md"
    sidecar_bad_year.write_text("# Other\n\n## Part\n\nText.\n", encoding="utf-8")
    (tmp_path / ("other.md" + SIDECAR_SUFFIX)).write_text('{"year": "soon", "url": "https://x.org"}', encoding="utf-8")

    loaded = _load(md)
    assert loaded.documents[0].provenance.title == "Guide"
    assert any("guide.md.source.json" in w for w in loaded.warnings), loaded.warnings
    other = _load(sidecar_bad_year)
    assert other.documents[0].provenance.url == "https://x.org"
    assert other.documents[0].provenance.year is None
    assert any("'year'" in w for w in other.warnings), other.warnings


@pytest.mark.parametrize("name", ["empty.pdf", "empty.md", "empty.html", "empty.txt", "empty.csv"])
def test_zero_byte_file_is_a_loader_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert "empty" in _loader_error(path).reason


def test_whitespace_only_file_has_no_text(tmp_path):
    path = tmp_path / "blank.md"
    path.write_text("\n\n   \n", encoding="utf-8")
    assert "no text" in _loader_error(path).reason


def test_unsupported_extension_is_a_loader_error(tmp_path):
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    assert "unsupported" in _loader_error(path).reason


@pytest.mark.parametrize(
    "name, expected",
    [
        ("report.pdf", True), ("REPORT.PDF", True), ("guide.md", True), ("guide.markdown", True),
        ("page.html", True), ("page.htm", True), ("notes.txt", True), ("export.csv", True),
        ("README.md", False), ("readme.md", False), ("LICENSE", False),
        ("report.pdf.source.json", False), ("guide.md.source.json", False), (".hidden.md", False),
        ("photo.png", False), ("slides.pptx", False),
        ("data.json", True), ("tracker.yaml", True), ("tracker.yml", True), ("mapping.xlsx", True),
        ("mapping.ods", True), ("plan.docx", True),
    ],
)
def test_is_indexable(name, expected):
    assert is_indexable(Path("corpus") / name) is expected


def test_titles_read_on_one_line_and_members_in_the_exports_spelling(tmp_path):
    """A spreadsheet's 'España' is the export's 'Spain'; a title with double spaces or a line break is
    cited on one line; a file name's ' - ' stays a separator instead of becoming three spaces."""
    from indexer.loaders.text import title_from_filename

    case = tmp_path / "caso.md"
    case.write_text("---\ntitle: \"Mediación  en   línea\"\npaís: España\n---\nLos juzgados ofrecen mediación en "
                    "línea para conflictos vecinales, con una audiencia por videoconferencia.\n", encoding="utf-8")
    documents = _load(case).documents
    assert {d.provenance.country for d in documents} == {"Spain"}
    assert {d.provenance.title for d in documents} == {"Mediación en línea"}
    assert title_from_filename(Path("Justicia Abierta - Red Ciudadana.pdf")) == "Justicia Abierta - Red Ciudadana"
    assert title_from_filename(Path("access-to-justice__note.pdf")) == "Access to justice note"


def test_a_pdf_titled_from_its_file_name_takes_its_words_as_the_pages_print_them(tmp_path):
    """Found by the session-14 audit: PDFs without a metadata title were cited as "Iv plan accion" and
    "Uk ogp national action plan 2013 2015". The words keep their accents and the capitals of a roman
    numeral or an acronym; a cover set in capitals does not make every word one."""
    plan = make_pdf(tmp_path / "iv-plan-accion.pdf", ["IV PLAN DE ACCIÓN\n\nEl plan del Estado abierto de Colombia."])
    assert {d.provenance.title for d in _load(plan).documents} == {"IV plan acción"}
    uk = make_pdf(tmp_path / "uk-ogp-national-action-plan.pdf",
                  ["The UK OGP national action plan was written with civil society."])
    assert {d.provenance.title for d in _load(uk).documents} == {"UK OGP national action plan"}
    titled = make_pdf(tmp_path / "uk-ogp-note.pdf", ["The UK OGP note."], title="A note on the UK plan")
    assert {d.provenance.title for d in _load(titled).documents} == {"A note on the UK plan"}


def test_a_pdf_titled_from_its_file_name_spells_out_its_acronyms_as_the_cover_does(tmp_path):
    """Found by the session-16 audit: Guatemala's open justice index report was cited as "Resultados IJA",
    words no reader or question uses."""
    report = make_pdf(tmp_path / "Resultados_IJA.pdf",
                      ["Resultados del\nIndice de Justicia Abierta\nGuatemala 2023\n\nRed Ciudadana"])
    assert {d.provenance.title for d in _load(report).documents} == {"Resultados IJA (Indice de Justicia Abierta)"}
    # an acronym the pages do not spell out stays as it is
    note = make_pdf(tmp_path / "Nota_IJA.pdf", ["Una nota sobre el indice y la justicia."])
    assert {d.provenance.title for d in _load(note).documents} == {"Nota IJA"}


def test_a_pdf_word_broken_at_a_line_end_is_written_whole_where_the_document_prints_it_whole(tmp_path):
    pdf = make_pdf(tmp_path / "plan.pdf", [
        "El IV Plan de Accion ha logrado compilar quin-\nce compromisos nacionales y territoriales.\n"
        "La lucha anti-\ncorrupcion sigue; la politica anti-corrupcion se publica.",
        "Son quince compromisos en total. Vease www.example.org/datos-\nabiertos para el detalle.",
    ])
    first, second = (d.text for d in _load(pdf).documents)
    assert "compilar quince compromisos" in first and "anti-corrupcion sigue" in first
    # no evidence in the document for "datosabiertos" or "datos-abiertos": the break stays
    assert "datos-\nabiertos" in second


def test_placeholder_text_is_left_out_and_a_file_of_nothing_else_is_refused_with_the_reason(tmp_path):
    filler = "Lorem ipsum odor amet, consectetuer adipiscing elit. Risus blandit ligula quam natoque in euismod duis."
    only = tmp_path / "executive-summary.md"
    only.write_text(f"# Executive Summary\n\n{filler}\n\n## Findings\n\n{filler}\n", encoding="utf-8")
    assert "only placeholder text (lorem ipsum)" in _loader_error(only).reason
    mixed = tmp_path / "report.md"
    mixed.write_text(f"# Report\n\n## Summary\n\n{filler}\n\n## Findings\n\nCourts publish their rulings online.\n",
                     encoding="utf-8")
    loaded = _load(mixed)
    assert len(loaded.documents) == 1 and loaded.documents[0].text.endswith("Courts publish their rulings online.")
    assert loaded.warnings == ["1 section(s) of placeholder text (lorem ipsum) left out"]
