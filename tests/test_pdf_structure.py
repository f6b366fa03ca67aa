"""PDF structure: footnotes are kept apart from the page's body, and a stale metadata title gives way
to the first page's heading. Every PDF is written in the test with fpdf2 and read by the real loader."""

from __future__ import annotations

from pathlib import Path

from conftest import make_pdf

from indexer.loaders.ocr import OcrOptions
from indexer.loaders.pdf import NOTES, load_pdf, word_per_line_joined


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


def test_a_metadata_title_that_spells_the_files_name_stays_whatever_heading_the_first_page_shows(tmp_path):
    # A cover read by OCR as another plan's heading must not replace the title the publisher gave
    # both the file and its metadata; the same heading under an unrelated file name still does.
    heading = "NINTH OPEN GOVERNMENT NATIONAL ACTION PLAN\n\nA letter from the administrator follows."
    named = _titled(tmp_path / "NAP5_Mid-Term_Self_Assessment_2024.pdf", "NAP 5 Mid-Term Self Assessment 2024", heading)
    assert {d.provenance.title for d in _load(named)} == {"NAP 5 Mid-Term Self Assessment 2024"}
    unrelated = _titled(tmp_path / "report.pdf", "NAP 5 Mid-Term Self Assessment 2024", heading)
    assert {d.provenance.title for d in _load(unrelated)} == {"NINTH OPEN GOVERNMENT NATIONAL ACTION PLAN"}


def test_a_table_is_read_as_rows_under_its_column_names_not_cell_by_cell(tmp_path):
    from fpdf import FPDF

    header = ("DATO", "DEFINICION", "DESAGREGACION", "PERIODO")
    # as in the Argentine protocols: a long definition wraps over several lines beside one-line cells
    rows = [(str(n), name, f"Numero de {name.lower()} destinados a las actividades especificas o de servicios "
                           "del sistema de justicia, en actividad al cierre del periodo", "Por genero", "Anual")
            for n, name in enumerate(["Recursos edilicios", "Puestos de trabajo", "Magistrados", "Funcionarios",
                                      "Empleados", "Mediadores"], start=1)]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=(8, 32, 50, 30, 30), text_align="LEFT", v_align="TOP", borders_layout="NONE") as table:
        table.row(("",) + header)
        for row in rows:
            table.row(row)
    path = tmp_path / "protocolo.pdf"
    pdf.output(str(path))
    (page,) = _load(path)
    lines = page.text.split("\n")
    assert "4; DATO: Funcionarios; DEFINICION: Numero de funcionarios destinados a las actividades especificas o " \
           "de servicios del sistema de justicia, en actividad al cierre del periodo; DESAGREGACION: Por genero; " \
           "PERIODO: Anual" in lines
    assert sum(line.startswith(tuple(f"{n}; DATO: " for n in range(1, 7))) for line in lines) == 6


def test_prose_set_in_two_columns_is_not_read_as_a_table(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    left = "Los facilitadores judiciales son figuras comunitarias que acercan la justicia a las personas. " * 8
    right = "Las instancias permanentes reunen a los poderes judiciales con la sociedad civil organizada. " * 8
    top = pdf.get_y()
    pdf.multi_cell(60, 5, left)
    pdf.set_xy(120, top)
    pdf.multi_cell(60, 5, right)
    path = tmp_path / "ficha.pdf"
    pdf.output(str(path))
    from pypdf import PdfReader

    from indexer.loaders.pdf import clean_pdf_text
    from indexer.loaders.pdf_tables import looks_tabular

    assert looks_tabular(clean_pdf_text(PdfReader(path).pages[0].extract_text()))  # short lines, like cells
    (page,) = _load(path)
    assert ": " not in page.text and "; " not in page.text


WORD_PER_LINE = ("Los centros de mediación comunitaria resuelven conflictos vecinales sin acudir a los tribunales. "
                 "Cada centro atiende gratuitamente a las familias del barrio: registra los acuerdos.")


def test_a_page_laid_out_one_word_per_line_is_read_as_running_text(tmp_path):
    """Some design tools place every word on its own line; read as it comes, such a page was shown as a
    column of words and translated word by word. A page of ordinary lines is left as it was."""
    ordinary = "The national courts publish monthly statistics.\nFree legal aid offices help people on low incomes."
    path = make_pdf(tmp_path / "ficha.pdf", ["\n".join(WORD_PER_LINE.split()), ordinary])
    documents, _ = load_pdf(path, "ficha.pdf", OcrOptions(enabled=False))
    first, second = documents[0].text, documents[1].text
    assert first.split("\n") == [
        "Los centros de mediación comunitaria resuelven conflictos vecinales sin acudir a los tribunales.",
        "Cada centro atiende gratuitamente a las familias del barrio:", "registra los acuerdos."]
    assert second == ordinary


def test_words_set_apart_by_blank_lines_are_read_as_running_text_too():
    """pypdf gives some such pages a blank line between every two words (one of the network's fichas);
    there a blank line marks no paragraph. Checked on the page text itself: pypdf reads no such blank
    lines from a PDF written by fpdf2."""
    first_sentence = WORD_PER_LINE.split(". ")[0] + "."
    assert word_per_line_joined("\n\n".join(first_sentence.split())) == first_sentence
    # blank lines between paragraphs of ordinary lines stay
    assert word_per_line_joined("One line of words.\n\nAnother line.") == "One line of words.\n\nAnother line."
