"""PDF structure: footnotes are kept apart from the page's body, and a stale metadata title gives way
to the first page's heading. Every PDF is written in the test with fpdf2 and read by the real loader."""

from __future__ import annotations

from pathlib import Path

from indexer.loaders.ocr import OcrOptions
from indexer.loaders.pdf import NOTES, load_pdf


def _load(path: Path):
    return load_pdf(path, path.name, OcrOptions(enabled=False))[0]


def _page_with_notes(pdf, body: str, notes: list[tuple[str, str]]) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, body)
    pdf.set_y(-45)
    for number, note in notes:  # a superscript number glued to its note, set smaller than the body
        pdf.set_font("Helvetica", size=6)
        pdf.cell(2, 4, number)
        pdf.set_font("Helvetica", size=8)
        pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")


def test_footnotes_become_the_pages_notes_and_never_join_a_body_sentence(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    _page_with_notes(pdf, "El Ministerio publica los datos judiciales cada trimestre.\nLas provincias adhieren "
                          "al convenio por escrito.", [("3", "En particular cuando el Ministerio Publico esta "
                                                             "incluido en el Poder Judicial."),
                                                       ("4", "Incluido por sugerencia de la Provincia.")])
    _page_with_notes(pdf, "Los tribunales informan sus causas por materia.", [])
    path = tmp_path / "convenio.pdf"
    pdf.output(str(path))
    documents = _load(path)
    body = [d for d in documents if d.provenance.section is None]
    notes = [d for d in documents if d.provenance.section == NOTES]
    assert [d.provenance.page for d in body] == [1, 2]
    assert "En particular" not in body[0].text and body[0].text.endswith("al convenio por escrito.")
    assert [d.provenance.page for d in notes] == [1]
    assert notes[0].text.startswith("3 En particular cuando el Ministerio Publico")
    assert "\n4 Incluido por sugerencia" in notes[0].text


def test_a_date_in_small_print_on_a_cover_is_not_a_note(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.multi_cell(0, 8, "PROTOCOLO TECNICO DE DATOS\nVersion I")
    pdf.set_y(-40)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, "7 de abril de 2017")
    path = tmp_path / "cover.pdf"
    pdf.output(str(path))
    (document,) = _load(path)
    assert document.text.endswith("7 de abril de 2017")


def _titled(path: Path, metadata_title: str, first_page: str) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(metadata_title)
    for text in (first_page, "Las partes acuerdan publicar los datos abiertos de justicia."):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def test_a_stale_metadata_title_gives_way_to_the_first_pages_heading(tmp_path):
    path = _titled(tmp_path / "convenio.pdf",
                   "CONVENIO MARCO ENTRE EL MINISTERIO Y LA ASOCIACION DE PROFESORES DE DERECHO PROCESAL PENAL",
                   "CONVENIO MARCO DE COOPERACION\nINTERJURISDICCIONAL DE DATOS JUDICIALES ABIERTOS\n\n"
                   "Entre el Ministerio de Justicia y las instituciones firmantes se acuerda lo siguiente.")
    titles = {d.provenance.title for d in _load(path)}
    assert titles == {"CONVENIO MARCO DE COOPERACION INTERJURISDICCIONAL DE DATOS JUDICIALES ABIERTOS"}


def test_a_metadata_title_found_on_the_first_pages_or_without_a_heading_to_replace_it_stays(tmp_path):
    printed = _titled(tmp_path / "a.pdf", "Datos judiciales abiertos",
                      "CONVENIO MARCO DE COOPERACION\nsobre datos judiciales abiertos entre las partes.")
    assert {d.provenance.title for d in _load(printed)} == {"Datos judiciales abiertos"}
    no_heading = _titled(tmp_path / "b.pdf", "Legal Aid Guidance Note",
                         "Legal aid eligibility. People below the income threshold receive free advice.")
    assert {d.provenance.title for d in _load(no_heading)} == {"Legal Aid Guidance Note"}
