"""Front matter, YAML/JSON trackers, spreadsheets and Word files: read whole, cited precisely, and
found by the real search. Every file is made in the test."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import docx
import openpyxl
import pytest

from indexer.headings import chunk_heading
from indexer.loaders import is_indexable, load_file
from indexer.loaders.commitments_csv import ID_COLUMN

SUB_COMMITMENT = """---
layout: commitment
title: "The Department of Justice commits to publish pretrial detention statistics by county."
permalink: /national-action-plan/5/US0199-2/
commitment_id: US0199
commitment_theme_name: Ensure Equal Justice Under the Law
commitment_detail_sub_id: "US0199.2"
commitment_agency: Department of Justice <br> Bureau of Justice Statistics
commitment_status: "In progress"
aug_2023_progress: The bureau released a first county table of pretrial detention in June and will add <a href="https://example.org/bail">bail outcomes</a> next year.
---
"""

TRACKER = """title: Action Plan Tracker
resources:
- resource_name: nap9
  fields:
  - datastore_id: milestones
    label:
      en: Milestones
      fr: Jalons
    choices:
      C07.2:
        en: Publish plain-language guides to small claims court procedures
        fr: Publier des guides en langage clair sur la procédure des petites créances
        due_date: 2024-06
        lead_dept: jus
  - datastore_id: indicators
    label:
      en: Indicators
      fr: Indicateurs
    choices:
      C07.2.1:
        en: Usability review completed with twenty court users
        fr: Examen d'utilisabilité réalisé avec vingt usagers des tribunaux
"""

EXPORT_COLUMNS = [ID_COLUMN, "Commitment Title", "Full Text", "Country/Locality", "Year Of Submission",
                  "Lead Institution", "Status", "Access to Justice"]
EXPORT_ROWS = [
    ["ZZ0001", "Open court hearings", "Publish hearing calendars online for every district court.",
     "Testland", "2021", "Judicial Council", "Complete", "1"],
    ["ZZ0002", "Legal aid registry", "Create a public registry of legal aid providers and their caseloads.",
     "Testland", "2022", "Ministry of Justice", "", ""],
]


def _docs(path: Path):
    return load_file(path, path.name).documents


def _write_tracker_files(folder: Path) -> None:
    (folder / "us0199-2.md").write_text(SUB_COMMITMENT, encoding="utf-8")
    (folder / "nap9.yaml").write_text(TRACKER, encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Initiatives"
    sheet.append(["Country", "Name", "Description", "Link"])
    sheet.append(["Chile", "Mobile justice vans", "Vans bring hearings and mediation to rural towns.", "site"])
    sheet["D2"].hyperlink = "https://example.org/vans"
    sheet.append(["Peru", "Citizen court observers", "Volunteers watch hearings and publish reports.", ""])
    book.save(folder / "mapping.xlsx")
    word = docx.Document()
    word.add_heading("Fourth Action Plan", level=1)
    word.add_heading("Commitment 5: Digital case files", level=2)
    word.add_paragraph("Courts will scan archived case files so that litigants can consult them remotely.")
    table = word.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Milestone", "Deadline"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Scanning pilot in two regions", "2025"
    word.save(folder / "plan.docx")


def test_front_matter_without_body_is_a_record_with_its_facts(tmp_path):
    path = tmp_path / "us0199-2.md"
    path.write_text(SUB_COMMITMENT, encoding="utf-8")
    docs = _docs(path)
    assert {d.provenance.commitment_id for d in docs} == {"US0199"}
    record = docs[0]
    assert record.provenance.metadata["status"] == "In progress"
    assert record.provenance.metadata["lead agency"] == "Department of Justice; Bureau of Justice Statistics"
    assert record.provenance.metadata["record id"] == "US0199.2"
    assert "Status: In progress" in record.text and "pretrial detention statistics" in record.text
    progress = [d for d in docs if d.provenance.section == "Aug 2023 progress"]
    assert len(progress) == 1
    assert "bail outcomes (https://example.org/bail)" in progress[0].text
    assert progress[0].provenance.metadata["field"] == "Aug 2023 progress"
    assert not any("permalink" in d.text or "/national-action-plan/" in d.text for d in docs)
    # a tracker's page for an OGP commitment is that commitment's record, for the type filter and the
    # comparable-commitments view; a page with no such id stays a guide
    assert {d.provenance.kind for d in docs} == {"commitment"}
    (tmp_path / "post.md").write_text("---\ntitle: A post\nstatus: draft\n---\nCourts opened.\n", encoding="utf-8")
    assert {d.provenance.kind for d in _docs(tmp_path / "post.md")} == {"guide"}


def test_yaml_tracker_gives_one_passage_per_language_cited_by_path(tmp_path):
    path = tmp_path / "nap9.yaml"
    path.write_text(TRACKER, encoding="utf-8")
    docs = [d for d in _docs(path) if d.provenance.metadata.get("record id") == "C07.2"]
    by_language = {d.provenance.language: d for d in docs}
    assert set(by_language) == {"en", "fr"}
    assert "small claims court" in by_language["en"].text and "petites créances" in by_language["fr"].text
    assert "petites" not in by_language["en"].text
    # cited by the names a reader knows it by; the file's own keys for its lists ("resources", "fields",
    # "choices") stay in the record's path
    assert by_language["en"].provenance.section == "nap9 > milestones > C07.2"
    assert by_language["en"].provenance.metadata["record path"] == "resources > nap9 > fields > milestones > choices > C07.2"
    assert by_language["en"].provenance.title == "Action Plan Tracker"
    assert by_language["en"].provenance.metadata["due_date"] == "2024-06"


def test_a_tracker_record_is_headed_by_the_records_its_dotted_id_sits_under(tmp_path):
    # An indicator listed apart from its milestone says little alone ("usability review"): its
    # milestone's words, in its own language, head it for the encoder and the keyword index, while
    # its passage (what is quoted and cited) stays its own words.
    path = tmp_path / "nap9.yaml"
    path.write_text(TRACKER, encoding="utf-8")
    docs = {(d.provenance.metadata.get("record id"), d.provenance.language): d for d in _docs(path)}
    english, french = docs[("C07.2.1", "en")], docs[("C07.2.1", "fr")]
    assert english.provenance.metadata["part of"] == "C07.2: Publish plain-language guides to small claims court procedures"
    assert french.provenance.metadata["part of"].startswith("C07.2: Publier des guides en langage clair")
    assert english.text == "C07.2.1: Usability review completed with twenty court users"
    assert "small claims" in chunk_heading(english.provenance) and "small claims" not in english.text
    assert "part of" not in docs[("C07.2", "en")].provenance.metadata  # no record C07 above it


def test_json_records_are_read_like_yaml(tmp_path):
    path = tmp_path / "tracker.json"
    path.write_text(json.dumps({"commitments": [
        {"id": "ZZ0042", "title_en": "Publish sentencing data every quarter",
         "title_es": "Publicar datos de sentencias cada trimestre"}]}), encoding="utf-8")
    docs = _docs(path)
    assert {d.provenance.language for d in docs} == {"en", "es"}
    assert {d.provenance.commitment_id for d in docs} == {"ZZ0042"}
    assert all(d.provenance.section == "commitments > ZZ0042" for d in docs)


def test_xlsx_rows_are_cited_by_sheet_and_row_with_links(tmp_path):
    _write_tracker_files(tmp_path)
    docs = _docs(tmp_path / "mapping.xlsx")
    assert [d.provenance.section for d in docs] == ["Initiatives > row 2", "Initiatives > row 3"]
    vans = docs[0]
    assert vans.provenance.title == "Mobile justice vans" and vans.provenance.country == "Chile"
    assert "Description: Vans bring hearings and mediation to rural towns." in vans.text
    assert "Link: site (https://example.org/vans)" in vans.text
    assert vans.provenance.metadata == {"sheet": "Initiatives", "row": "2"}


def test_xlsx_with_the_export_columns_gives_the_csv_records(tmp_path):
    with (tmp_path / "export.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(EXPORT_ROWS)
    book = openpyxl.Workbook()
    book.active.append(EXPORT_COLUMNS)
    for row in EXPORT_ROWS:
        book.active.append([int(v) if v.isdigit() else (v or None) for v in row])
    book.save(tmp_path / "export.xlsx")
    from_csv, from_xlsx = _docs(tmp_path / "export.csv"), _docs(tmp_path / "export.xlsx")
    strip = [(d.text, d.provenance.__class__.__name__, {**d.provenance.__dict__, "source": ""}) for d in from_csv]
    assert len(from_csv) == 2
    assert [(d.text, d.provenance.__class__.__name__, {**d.provenance.__dict__, "source": ""})
            for d in from_xlsx] == strip
    assert from_xlsx[0].provenance.policy_areas == ("Access to Justice",)
    assert from_xlsx[0].provenance.metadata["lead_institution"] == "Judicial Council"


def test_docx_headings_are_the_section_path_and_tables_rows(tmp_path):
    _write_tracker_files(tmp_path)
    docs = _docs(tmp_path / "plan.docx")
    assert docs[0].provenance.title == "Fourth Action Plan"
    commitment = next(d for d in docs if "scan archived case files" in d.text)
    assert commitment.provenance.section == "Fourth Action Plan > Commitment 5: Digital case files"
    assert "Milestone: Scanning pilot in two regions; Deadline: 2025" in commitment.text


def test_new_formats_are_indexable(tmp_path):
    for name in ("a.yaml", "a.yml", "a.json", "a.xlsx", "a.ods", "a.docx"):
        assert is_indexable(tmp_path / name), name


@pytest.fixture(scope="module")
def formats_searcher(tmp_path_factory, encoder):
    from indexer.build import build_index
    from indexer.settings import Settings
    from search import Searcher

    root = tmp_path_factory.mktemp("formats")
    corpus = root / "corpus"
    corpus.mkdir()
    _write_tracker_files(corpus)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    report = build_index(settings, progress=False, encoder=encoder)
    assert not report.failed, report.failed
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    yield searcher
    searcher.close()


def test_every_new_format_is_found_by_its_words(formats_searcher):
    def first(question: str):
        hits = formats_searcher.search(question, k=3)
        assert hits, question
        return hits[0].provenance

    record = first("US0199")
    assert record.commitment_id == "US0199" and record.source == "us0199-2.md"
    # the page is several documents (the record, its progress report) of one commitment, counted once
    stats = formats_searcher.statistics()
    assert dict(stats.commitment_files)["us0199-2.md"] == 1
    assert stats.commitments_by_country == (("(none)", 1),)
    assert first("when will bail outcomes be added to the county pretrial table?").section == "Aug 2023 progress"
    word = first("scanning archived case files so litigants consult them remotely")
    assert (word.source, word.section) == ("plan.docx", "Fourth Action Plan > Commitment 5: Digital case files")
    row = first("vans bringing mediation to rural towns")
    assert (row.source, row.section) == ("mapping.xlsx", "Initiatives > row 2")
    french = first("guides en langage clair sur les petites créances")
    assert (french.source, french.language) == ("nap9.yaml", "fr")
    indicator = formats_searcher.search("usability review of the small claims court guides", k=3)[0]
    assert indicator.provenance.metadata["record id"] == "C07.2.1"
    assert indicator.text == "C07.2.1: Usability review completed with twenty court users"


def _write_ods(path: Path, rows: list[list[str]], link: tuple[int, int, str] | None = None) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import A, P

    book = OpenDocumentSpreadsheet()
    table = Table(name="Cases")
    for r, values in enumerate(rows):
        row = TableRow()
        for c, value in enumerate(values):
            cell = TableCell()
            paragraph = P(text=value)
            if link and (r, c) == link[:2]:
                paragraph = P()
                paragraph.addElement(A(href=link[2], text=value))
            cell.addElement(paragraph)
            row.addElement(cell)
        table.addElement(row)
    # The blank run to the sheet's edge that office suites write: one row repeated a million times.
    table.addElement(TableRow(numberrowsrepeated=1_048_000))
    book.spreadsheet.addElement(table)
    book.save(str(path))


def test_ods_rows_are_cited_by_sheet_and_row_with_links(tmp_path):
    path = tmp_path / "cases.ods"
    _write_ods(path, [["Nombre", "Descripción"],
                      ["Observatorio judicial", "Seguimiento ciudadano de audiencias penales."]],
               link=(1, 0, "https://example.org/obs"))
    docs = _docs(path)
    assert len(docs) == 1
    assert docs[0].provenance.section == "Cases > row 2"
    assert "Nombre: Observatorio judicial (https://example.org/obs)" in docs[0].text
    assert "Descripción: Seguimiento ciudadano de audiencias penales." in docs[0].text


def test_ods_with_the_export_columns_gives_the_csv_records(tmp_path):
    with (tmp_path / "export.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([EXPORT_COLUMNS, *EXPORT_ROWS])
    _write_ods(tmp_path / "export.ods", [EXPORT_COLUMNS, *EXPORT_ROWS])
    from_csv, from_ods = _docs(tmp_path / "export.csv"), _docs(tmp_path / "export.ods")
    assert [(d.text, d.provenance.commitment_id, d.provenance.metadata, d.provenance.policy_areas)
            for d in from_ods] == [(d.text, d.provenance.commitment_id, d.provenance.metadata,
                                    d.provenance.policy_areas) for d in from_csv]
    assert len(from_ods) == 2


def test_ods_blank_rows_and_cells_keep_row_numbers_and_columns(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    book = OpenDocumentSpreadsheet()
    table = Table(name="S")
    for values in (["Name", "Country", "Description"], None, ["Court app", None, "An app listing hearings."]):
        row = TableRow(numberrowsrepeated=3) if values is None else TableRow()
        for value in values or [None]:
            cell = TableCell()
            if value is not None:
                cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    book.spreadsheet.addElement(table)
    book.save(str(tmp_path / "s.ods"))
    [doc] = _docs(tmp_path / "s.ods")
    assert doc.provenance.section == "S > row 5"
    assert doc.text == "Name: Court app\nDescription: An app listing hearings."


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path):
    import time

    from indexer.errors import LoaderError

    lines = ["a0: &a0 [text with enough words to be a passage here]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(LoaderError, match="500,000 values"):
        load_file(path, path.name)
    assert time.perf_counter() - started < 5


def test_front_matter_listing_files_and_no_body_is_a_record(tmp_path):
    path = tmp_path / "panel.md"
    path.write_text("---\ntitle: Sector panel meeting of 4 March\nlayout: post\ncreated: 3/4/2014\nresources:\n"
                    "    - filename: panel minutes.pdf\n      url: https://example.org/minutes.pdf\n---\n",
                    encoding="utf-8")
    [doc] = _docs(path)
    assert doc.text == ("Sector panel meeting of 4 March\nCreated: 3/4/2014\n"
                        "Resources: panel minutes.pdf (https://example.org/minutes.pdf)")


def test_frontmatter_fields_setting_names_more_fields_and_rebuilds(tmp_path, encoder):
    """A tracker's own field name, mapped by the frontmatter_fields setting, becomes the lead agency;
    changing the setting re-reads the corpus."""
    from dataclasses import replace

    from indexer.build import build_index
    from indexer.settings import Settings, SettingsError, load_settings
    from indexer.store import IndexReader

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tracker.md").write_text("---\ntitle: Court data milestone\ncommitment_id: ZZ0101\n"
                                       "organismo_responsable: Ministerio de Justicia\nestado: En curso\n---\n",
                                       encoding="utf-8")
    plain = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(plain, progress=False, encoder=encoder)
    mapped = replace(plain, frontmatter_fields="organismo_responsable=agency")
    report = build_index(mapped, progress=False, encoder=encoder)
    assert report.full_rebuild_reason == "the frontmatter_fields setting changed since the last build"
    reader = IndexReader(mapped.index_dir)
    try:
        chunk = next(iter(reader.chunks_by_id(range(1, 100)).values()))
        assert chunk.provenance.commitment_id == "ZZ0101"
        assert chunk.provenance.metadata.get("lead agency") == "Ministerio de Justicia"
    finally:
        reader.close()
    with pytest.raises(SettingsError):
        load_settings(None, frontmatter_fields="organismo=boss")


def test_a_trackers_commitment_pages_are_compared_under_the_commitments_own_title(tmp_path, encoder):
    """Found by the session-17 audit: with a tracker's pages typed as commitments, the comparison
    table titled a row by whichever page matched, often a sub-commitment's sentence fragment."""
    from indexer.build import build_index
    from indexer.settings import Settings
    from search import Filters, Searcher
    from search.compare import compare

    corpus = tmp_path / "corpus" / "_subcommitments"
    corpus.mkdir(parents=True)
    (corpus / "us0199-2.md").write_text(SUB_COMMITMENT, encoding="utf-8")
    (tmp_path / "corpus" / "US0199.md").write_text(
        "---\nlayout: commitment\ntitle: Make Pretrial Justice Data Public\ncommitment_id: US0199\n"
        "commitment_theme_name: Ensure Equal Justice Under the Law\n---\n", encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    assert not build_index(settings, progress=False, encoder=encoder).failed
    searcher = Searcher(settings.index_dir, settings, encoder=encoder)
    try:
        hits = searcher.search("pretrial detention statistics by county", k=3, filters=Filters(kind=("commitment",)))
        assert hits and hits[0].provenance.source.endswith("us0199-2.md")  # the sub-commitment's page matches
        rows = compare(searcher, "pretrial detention statistics by county")
        assert [(r.commitment_id, r.title) for r in rows] == [("US0199", "Make Pretrial Justice Data Public")]
        assert rows[0].lead_institution == "Department of Justice; Bureau of Justice Statistics"
        assert searcher.statistics().commitment_files == (("US0199.md", 1), ("_subcommitments/us0199-2.md", 1))
    finally:
        searcher.close()
