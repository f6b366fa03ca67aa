"""PDF reports, one Document per page, keeping the physical page number and the printed label."""

from __future__ import annotations

import json
import logging
import math
import re
import subprocess
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..analysis import detect_language, fold
from ..headings import is_part_heading
from ..errors import LoaderError
from ..records import NOTES_SECTION, PAGE_LABEL_KEY, READ_BY_KEY, RUNNING_LINES_KEY, Document, Provenance
from .pdf_tables import looks_tabular, table_rows
from .ocr import INSTALL_COMMAND, OcrOptions, PageReader, tesseract_code, tesseract_languages
from .text import title_from_filename

__all__ = ["NOTES", "PAGE_LABEL", "READ_BY", "RUNNING_LINES", "clean_pdf_text", "load_pdf"]

# pypdf logs every recoverable oddity of real-world PDFs; the build reports what matters itself.
logging.getLogger("pypdf").setLevel(logging.ERROR)

#: Metadata titles an authoring tool writes for itself, not the document's: Word's and PowerPoint's
#: defaults (in English, Spanish and French), "Untitled", "Document1", "Slide 1".
_USELESS_TITLES = re.compile(
    r"^(untitled|sans titre|sin t[ií]tulo|microsoft (word|powerpoint)|document\d*|documento\d*|slide \d+|"
    r"powerpoint presentation|presentaci[oó]n de powerpoint|pr[ée]sentation powerpoint)\b", re.I)


def load_pdf(path: Path, source: str, ocr: OcrOptions | None = None) -> tuple[list[Document], list[str]]:
    """One Document per page with text (read by OCR when the page has no text layer, unless ``ocr``
    turns it off), and one of its footnotes (section "Notes") where it has some. The running header
    and footer lines moved out of a page's body are kept in its ``metadata["running lines"]``. Pages
    carry the label the PDF prints (/PageLabels, else the page number its running lines print), or
    their physical number with ``metadata["page label"] = "physical"`` when they print none."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    warnings: list[str] = []
    with path.open("rb") as fh:
        if not fh.read(1024).lstrip().startswith(b"%PDF"):
            raise LoaderError(source, "not a PDF file (it does not start with %PDF); was it renamed?")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except (FileNotDecryptedError, NotImplementedError, PdfReadError):
                unlocked = 0
            if not unlocked:
                raise LoaderError(
                    source, "the PDF is password-protected; save a copy without a password and add that"
                )
        page_count = len(reader.pages)
        labels = _page_labels(reader, page_count)
        metadata_title = _pdf_title(reader)
        texts: dict[int, str] = {}
        notes: dict[int, str] = {}
        header: tuple[str, ...] = ()  # the column names of the last table, for a page that goes on with it
        empty: list[int] = []
        unreadable_pages = 0
        for index in range(page_count):
            try:
                sized = _SizedText()
                raw = reader.pages[index].extract_text(visitor_text=sized.visit) or ""
            except DependencyError:
                raise  # the whole file needs a missing package, not just this page
            except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged pages
                warnings.append(f"page {index + 1} could not be read ({type(exc).__name__}); skipped")
                unreadable_pages += 1
                continue
            raw, page_notes = sized.without_footnotes(raw)
            if page_notes:
                notes[index] = page_notes
            page_text = clean_pdf_text(raw)
            table = _as_table(reader.pages[index], page_notes, header) if looks_tabular(page_text) else None
            # A table goes on to the next page only; a table's cells, one to a line, are not prose to join.
            page_text, header = table if table else (word_per_line_joined(page_text), ())
            if page_text:
                texts[index] = page_text
            else:
                empty.append(index)
    except LoaderError:
        raise
    except DependencyError:
        # pypdf needs the 'cryptography' package for AES, the usual encryption of
        # "no copying" PDFs that open without a password.
        raise LoaderError(
            source, "the PDF is encrypted (AES) and reading it needs the 'cryptography' package: "
            "run `pip install cryptography`, or save a copy without encryption and add that"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure means "damaged file" to the user
        raise LoaderError(source, f"the PDF is damaged or incomplete and cannot be read ({exc})") from None
    read_by_ocr = _read_by_ocr(path, empty, texts, ocr or OcrOptions(), warnings) if empty else {}
    empty_pages = len(empty) - len(read_by_ocr)
    if page_count and not texts and unreadable_pages:
        detail = ("none of its pages could be read" if unreadable_pages == page_count else
                  f"{unreadable_pages} of its {page_count} pages could not be read and the others have no text")
        raise LoaderError(source, f"the PDF is damaged: {detail}")
    if page_count and not texts:
        reason = "no extractable text: needs OCR (the pages look like scanned images)"
        if empty and not (ocr or OcrOptions()).enabled:
            reason += "; OCR is turned off (setting ocr = \"off\")"
        elif empty and not tesseract_languages():
            reason += f"; install Tesseract to read them: {INSTALL_COMMAND}"
        raise LoaderError(source, reason)
    if empty_pages:
        warnings.append(f"{empty_pages} of {page_count} pages had no extractable text (images?)")
    if read_by_ocr:
        languages = sorted(set(read_by_ocr.values()))
        warnings.append(f"{len(read_by_ocr)} of {page_count} pages read by OCR (Tesseract, {', '.join(languages)})")

    order = sorted(texts)
    pages = _split_running_lines(_words_made_whole([texts[i] for i in order]), [i + 1 for i in order])
    if labels is None:
        printed = _printed_numbers([running for _, running in pages], [i + 1 for i in order])
        labels = [None] * page_count
        for index, number in zip(order, printed):
            labels[index] = number
    first_pages = [body for body, _ in pages[:2]]
    title = _checked_title(metadata_title, first_pages, path.stem) or _acronyms_spelt_out(
        _name_as_printed(title_from_filename(path), first_pages), first_pages)
    documents: list[Document] = []
    for index, (body, running) in zip(order, pages):
        metadata = {} if labels[index] else {PAGE_LABEL: "physical"}  # /PageLabels may give ""
        if index in read_by_ocr:
            metadata[READ_BY] = f"OCR (Tesseract, {read_by_ocr[index]})"
        provenance = Provenance(source=source, kind="report", title=title, page=index + 1,
                                page_label=labels[index] or str(index + 1),
                                metadata={**metadata, RUNNING_LINES: "\n".join(running)} if running else metadata)
        documents.append(Document(provenance, body))
        if index in notes:
            documents.append(Document(replace(provenance, section=NOTES, metadata=metadata), notes[index]))
    return documents, warnings


def _as_table(page, notes: str, previous_header: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """The page's text with its table read as rows (indexer/loaders/pdf_tables.py), its footnotes
    left out as they are in its notes, and the table's column names; None when no columns are found."""
    layout = page.extract_text(extraction_mode="layout") or ""
    first_note = notes.split("\n", 1)[0].strip() if notes else ""
    if first_note:
        lines = layout.split("\n")
        cut = next((at for at, line in enumerate(lines) if line.strip() and first_note.startswith(line.strip())
                    or line.strip().startswith(first_note)), len(lines))
        layout = "\n".join(lines[:cut])
    table = table_rows(layout, previous_header)
    return (clean_pdf_text(table[0]), table[1]) if table else None


# The page metadata keys (their meaning is documented in indexer/records.py).
RUNNING_LINES, PAGE_LABEL, READ_BY = RUNNING_LINES_KEY, PAGE_LABEL_KEY, READ_BY_KEY
NOTES = NOTES_SECTION


class _SizedText:
    """Collects the font size of every character pypdf extracts from a page (its text visitor
    sees exactly the pieces of the text it returns), to tell footnotes from the body."""

    #: A footnote line is set at most this fraction of the body's font size.
    SMALLER = 0.92
    #: A note opens with its number glued to its text (a superscript: "3En particular") or followed
    #: by a capital ("10 Por ejemplo"); "7 de abril de 2017" on a cover is no note.
    _NOTE_START = re.compile(r"^\s*(\d{1,3}|[*†‡])(?=[^\W\d_])|^\s*\d{1,3}\s+[^\W\d_a-zß-ÿ]")
    #: Word draws the rule above a page's footnotes as a line that extracts as a run of spaces.
    _NOTE_RULE = re.compile(r"^ {20,}$")
    _PAGE_NUMBER = re.compile(r"^\s*(-\s*)?\d{1,4}(\s*-)?\s*$")

    def __init__(self) -> None:
        self.sizes: list[tuple[int, float]] = []  # (characters, effective size) per visited piece

    def visit(self, text: str, cm, tm, font_dict, font_size) -> None:
        try:
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        except (TypeError, IndexError):
            scale = 1.0
        self.sizes.append((len(text), round(float(font_size or 0) * scale, 1)))

    def without_footnotes(self, raw: str) -> tuple[str, str]:
        """The page's text without the block of small lines at its foot that opens with a note
        number, and that block ("" when there is none)."""
        if sum(n for n, _ in self.sizes) != len(raw):
            return raw, ""  # the pieces do not add up to the text: sizes cannot be placed
        if len({size for _, size in self.sizes}) < 2 and " " * 20 not in raw:
            return raw, ""  # one size and no footnote rule: nothing to tell notes by (the common page)
        lines, piece, used = [], 0, 0
        line_sizes: list[Counter] = []
        sizes = Counter()
        for line in raw.split("\n"):
            counts: Counter = Counter()
            for ch in line + "\n":
                while piece < len(self.sizes) and used >= self.sizes[piece][0]:
                    piece, used = piece + 1, 0
                if piece < len(self.sizes):
                    if not ch.isspace():
                        counts[self.sizes[piece][1]] += 1
                    used += 1
            lines.append(line)
            line_sizes.append(counts)
            sizes.update(counts)
        if not sizes:
            return raw, ""

        def size(at: int) -> float:
            return line_sizes[at].most_common(1)[0][0] if line_sizes[at] else 0.0

        end = len(lines)
        while end and (not lines[end - 1].strip() or self._PAGE_NUMBER.match(lines[end - 1])):
            end -= 1  # a page number under the notes stays for the running-line filter
        if not end:
            return raw, ""
        # Notes: the lines at the foot set no larger than the last one, and smaller than the text above.
        note_size, start = size(end - 1), end
        while start and (not lines[start - 1].strip() or size(start - 1) <= note_size):
            start -= 1
        above = Counter()
        for counts in line_sizes[:start]:
            above.update(counts)
        starts = [start] if above and note_size < self.SMALLER * above.most_common(1)[0][0] else []
        rules = [at for at in range(end - 1, -1, -1) if self._NOTE_RULE.match(lines[at])][:1]
        if rules and all(size(at) <= note_size for at in range(rules[0], end) if line_sizes[at]):
            starts.append(rules[0])  # notes below Word's rule, though the page's tables are set as small
        for start in starts:
            while start < end and not lines[start].strip():
                start += 1
            if start < end and self._NOTE_START.match(lines[start]) and any(map(str.strip, lines[:start])):
                break
        else:
            return raw, ""
        note_chars = sum(sum(c.values()) for c in line_sizes[start:end])
        if note_chars > 0.6 * sum(sizes.values()):
            return raw, ""  # most of the page is small print: a page set small, not notes
        return "\n".join(lines[:start] + lines[end:]), clean_pdf_text("\n".join(lines[start:end]))


def _read_by_ocr(path: Path, empty: list[int], texts: dict[int, str], options: OcrOptions,
                 warnings: list[str]) -> dict[int, str]:
    """OCR the ``empty`` pages into ``texts``; returns page index -> the Tesseract languages used."""
    if not options.enabled:
        return {}
    reader = PageReader(path, options)
    if not reader.installed:
        warnings.append(f"{len(empty)} pages have no text layer and Tesseract is not installed to read them: "
                        f"{INSTALL_COMMAND}")
        return {}
    read: dict[int, str] = {}
    try:
        languages = _ocr_languages(path, texts, options, reader)
        for index in empty:
            if languages is None:  # nothing says which language: a first pass in several, then detect
                first_pass = reader.detection_languages()
                text = clean_pdf_text(reader.read(index, first_pass))
                detected = tesseract_code(detect_language(text)) if text else None
                languages = reader.usable(detected) if detected else first_pass
                used = first_pass
            else:
                text = clean_pdf_text(reader.read(index, languages))
                used = languages
            if text:
                texts[index] = text
                read[index] = used
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        warnings.append(f"OCR stopped after {len(read)} pages: {exc}")
    finally:
        reader.close()
    return read


def _ocr_languages(path: Path, texts: dict[int, str], options: OcrOptions, reader: PageReader) -> str | None:
    """The setting, else the sidecar's language, else the language of the file's text pages."""
    if options.languages:
        return reader.usable(options.languages)
    try:
        declared = json.loads(path.with_name(path.name + ".source.json").read_text(encoding="utf-8"))
        declared = tesseract_code(declared.get("language")) if isinstance(declared, dict) else None
    except (OSError, ValueError, RecursionError, AttributeError):
        declared = None
    if declared:
        return reader.usable(declared)
    detected = tesseract_code(detect_language(" ".join(texts.values())[:20_000])) if texts else None
    return reader.usable(detected) if detected else None


#: A running header or footer sits in a page's first or last few lines ...
_EDGE_LINES = 2
#: ... and recurs, numbers aside, on at least this share of the pages (and on three at least).
_RUNNING_SHARE = 0.5
_NUMBER = re.compile(r"\d+")


def _running_key(line: str) -> str:
    return _NUMBER.sub("#", " ".join(line.lower().split()))


def _edge_keys(lines: list[str]) -> list[tuple[int, str]]:
    """(position, key) of the first and last ``_EDGE_LINES`` non-empty lines; a key says whether the
    line heads or foots the page, so a page number on top and a chapter tab at the foot ("03") are
    two running lines, not one whose numbers jump about."""
    filled = [at for at, line in enumerate(lines) if line.strip()]
    head = filled[:_EDGE_LINES]
    return [(at, ("^" if at in head else "$") + _running_key(lines[at]))
            for at in sorted(set(head + filled[-_EDGE_LINES:]))]


def _split_running_lines(texts: list[str], physical: list[int]) -> list[tuple[str, list[str]]]:
    """Each page's body and the running lines moved out of it: page numbers, running titles ("Court
    Data for Open Justice - page 23"), markings ("UNCLASSIFIED").

    Left in the body, such a line is quoted as the answer to a question that shares its words, and
    makes every page's last passage look like a copy of the others; but it may carry content (a
    per-page reference, a statute's page head), so it is kept apart, never dropped. A running line
    sits among a page's first or last lines, recurs on at least half the pages, and its numbers
    either stay the same or go up with the page (a year, a page number): a line of content that
    merely follows a pattern ("District 12 opened 3 desks") changes its numbers every which way.
    A recurring line whose numbers change is furniture only when it numbers the pages (see
    ``_numbers_the_pages``): a per-page reference ("Reference JR-0777") or a statute's page head
    ("Artículo 12") is content and stays in the body.
    Numbered headings ("Commitment 18") stay in the body (a plan that opens most pages with one
    still needs it to say which commitment a passage belongs to); a page that is nothing but such
    lines keeps them as its body.
    """
    if len(texts) < 3:
        return [(text, []) for text in texts]
    pages = [text.split("\n") for text in texts]
    # Each page's edge lines: (position, key).
    edges = [_edge_keys(lines) for lines in pages]
    rows: dict[str, list[tuple[int, str]]] = {}  # key -> (physical page, line)
    for page, lines, page_edges in zip(physical, pages, edges):
        for at, key in page_edges:
            rows.setdefault(key, []).append((page, lines[at]))
    needed = max(3, math.ceil(_RUNNING_SHARE * len(texts)))
    running = {key for key, seen in rows.items() if len(seen) >= needed and _is_furniture(key, seen)}
    out: list[tuple[str, list[str]]] = []
    for text, lines, page_edges in zip(texts, pages, edges):
        moved = {at for at, key in page_edges if key in running and not is_part_heading(lines[at])}
        kept = [line for at, line in enumerate(lines) if at not in moved]
        if moved and any(map(str.strip, kept)):
            out.append((clean_pdf_text("\n".join(kept)), [lines[at] for at in sorted(moved)]))
        else:
            out.append((text, []))
    return out


_PAGE_WORDS = re.compile(r"\b(page|p\.|pág\.?|página|pagina|folio|fojas?)\s*#", re.I)


def _printed_numbers(running: list[list[str]], physical: list[int]) -> list[str | None]:
    """The number each page prints in its running lines, where one of them counts the pages: its
    number minus the physical page is the same on every page that has it (at least three)."""
    tracking: dict[str, tuple[int, dict[int, str]]] = {}  # key -> (number column, page -> number)
    seen: dict[str, list[tuple[int, tuple[int, ...], tuple[str, ...]]]] = {}
    for page, lines in zip(physical, running):
        for line in lines:
            found = _NUMBER.findall(line)[:_MOST_NUMBERS]
            if found:
                seen.setdefault(_running_key(line), []).append((page, tuple(map(int, found)), tuple(found)))
    for key, rows in seen.items():
        for column in range(len(rows[0][1])):
            # A bare "#" may be both the page number and a chapter tab ("03"): the pages' own rows
            # share one offset to the physical page, and hold most of the key's rows.
            offsets = Counter(numbers[column] - page for page, numbers, _ in rows if len(numbers) > column)
            offset = _page_offset(offsets, len(rows))
            if offset is not None:
                tracking[key] = (column, {page: str(int(found[column])) for page, numbers, found in rows
                                          if len(numbers) > column and numbers[column] - page == offset})
                break
    if not tracking:
        return [None] * len(physical)

    def preference(key: str) -> tuple[int, int]:
        # A bare number or "page N" is the page number; a reference that counts along is only a fallback.
        return (0 if key.strip(" -–—.|") == "#" else 1 if _PAGE_WORDS.search(key) else 2, len(key))

    _, numbers = tracking[min(tracking, key=preference)]
    return [numbers.get(page) for page in physical]


#: Numbers compared per line (a long line of figures is content, not a running title).
_MOST_NUMBERS = 4


def _is_furniture(key: str, rows: list[tuple[int, str]]) -> bool:
    """Whether a line recurring on many pages (``rows``: physical page, line) is page furniture: its
    numbers stay the same (a running title, a year) or it numbers the pages; a bare number that
    does not count the pages (a chapter tab) carries no words to lose."""
    numbers = [tuple(int(n) for n in _NUMBER.findall(line)[:_MOST_NUMBERS]) for _, line in rows]
    if not _steady(numbers):
        return False
    if len(set(numbers)) == 1 or key[1:].strip(" -–—.|#") == "":
        return True
    return _numbers_the_pages(rows)


#: A number joined to letters ("JR-0777", "A12", "12b") is part of a reference, not a page number.
_GLUED_NUMBER = re.compile(r"(?:[^\W\d_][-_/]?)(\d+)|(\d+)(?=[-_/]?[^\W\d_])")


def _numbers_the_pages(rows: list[tuple[int, str]]) -> bool:
    """Whether one of the line's numbers counts the pages: it stands alone (not glued to letters as
    in a reference code) and is the physical page plus the same offset on most pages (three at least)."""
    columns: dict[int, Counter] = {}
    for page, line in rows:
        glued = {m.start(1) if m.group(1) else m.start(2) for m in _GLUED_NUMBER.finditer(line)}
        for column, match in enumerate(list(_NUMBER.finditer(line))[:_MOST_NUMBERS]):
            if match.start() not in glued:
                columns.setdefault(column, Counter())[int(match.group()) - page] += 1
    return any(_page_offset(offsets, len(rows)) is not None for offsets in columns.values())


def _page_offset(offsets: Counter, occurrences: int) -> int | None:
    """The number-minus-physical-page offset shared by most of a line's ``occurrences`` (three at
    least): the line counts the pages. None when no offset is that common."""
    offset, count = offsets.most_common(1)[0]
    return offset if count >= 3 and count * 2 > occurrences else None


def _steady(occurrences: list[tuple[int, ...]]) -> bool:
    """Whether each number of a recurring line, page after page, stays the same or never goes down."""
    if len({len(numbers) for numbers in occurrences}) != 1:
        return False
    for column in zip(*occurrences):
        if any(later < earlier for earlier, later in zip(column, column[1:])):
            return False
    return True


def _page_labels(reader, page_count: int) -> list[str | None] | None:
    """The labels of the PDF's /PageLabels tree, or None when it has none (or a broken one)."""
    try:
        if "/PageLabels" not in reader.trailer["/Root"]:
            return None
        labels = list(reader.page_labels)
        if len(labels) == page_count:
            return labels
    except Exception:  # noqa: BLE001 - a broken /PageLabels tree should not lose the pages
        pass
    return None


def _pdf_title(reader) -> str | None:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # noqa: BLE001
        return None
    title = str(title).strip() if title else ""
    if not title or _USELESS_TITLES.match(title) or len(title) > 200:
        return None
    return title


#: Lines of a capitalised heading block at the top of the first page that make a title.
_HEADING_LINES = 6
_TITLE_CHARS = 200


def _checked_title(title: str | None, first_pages: list[str], file_name: str = "") -> str | None:
    """The metadata title, unless it is stale: it occurs nowhere in the first pages while the first
    page opens with a heading in capitals, which then is the title (a template's leftover metadata
    titled an Argentine agreement after another one). A metadata title that spells the file's own
    name is the publisher's, whatever the first page shows: that page may be a cover read by OCR
    (the US mid-term self-assessment's cover was read as another plan's number)."""
    heading = _first_heading(first_pages[0]) if first_pages else None
    if not title or not heading:
        return title
    if _folded(title) in _folded(" ".join(first_pages)) or _letters_and_digits(title) == _letters_and_digits(file_name):
        return title
    return heading


_ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.I)
_PRINTED_WORD = re.compile(r"[^\W_]+")


def _name_as_printed(name: str, first_pages: list[str]) -> str:
    """A title made from the file name ("Iv plan accion", "Uk ogp national action plan 2013 2015") with
    each word as the first pages print it: accents back ("acción"), and, for a word the file name
    writes in lower case, capitals for a roman numeral or for a word the pages print in capitals
    inside a line that is not all capitals (an acronym: "UK", "OGP"; a cover's "PLAN DE ACCIÓN" is
    only set in capitals). A word the file name capitalises keeps its capitals."""
    printed: dict[str, str] = {}
    acronyms: set[str] = set()
    for line in "\n".join(first_pages).split("\n"):
        mixed = any(ch.islower() for ch in line)
        for word in _PRINTED_WORD.findall(line):
            key = fold(word)
            if len(word) == len(key):  # accents as single characters, so they can be put back in place
                printed.setdefault(key, word)
            if mixed and len(word) > 1 and word.isupper():
                acronyms.add(key)
    words = []
    for index, word in enumerate(name.split()):
        key = fold(word)
        form = printed.get(key)
        if form is not None and len(form) == len(word):  # the word's own case, the page's accents
            word = "".join(p.upper() if w.isupper() else p.lower() for w, p in zip(word, form))
        lower = word[1:].islower() and (index > 0 and word[0].islower() or index == 0)
        if lower and (_ROMAN.match(word) or key in acronyms):
            word = word.upper()
        words.append(word)
    return " ".join(words)


#: Words an acronym's letters skip ("Índice de Justicia Abierta" is IJA, "Open Government Partnership" OGP).
_ACRONYM_SKIPS = frozenset({"de", "del", "la", "las", "el", "los", "y", "e", "en", "para", "por", "of", "the", "and",
                            "for", "on", "in", "to", "du", "des", "le", "les", "et", "da", "do", "das", "dos"})


def _acronyms_spelt_out(title: str, first_pages: list[str]) -> str:
    """``title`` (made from a file name) with each acronym in it followed by the words the first pages
    spell it with: "Resultados IJA" -> "Resultados IJA (Indice de Justicia Abierta)". A file name
    abbreviates what the document's cover says in full, and the full words are what a reader and a
    question use."""
    spelt = []
    for acronym in dict.fromkeys(w for w in title.split() if 2 <= len(w) <= 6 and w.isalpha() and w.isupper()):
        for line in "\n".join(first_pages).split("\n"):
            words = _PRINTED_WORD.findall(line)
            found = _spelling(acronym, words)
            if found:
                spelt.append((acronym, found))
                break
    for acronym, words in spelt:
        title = re.sub(rf"\b{acronym}\b", f"{acronym} ({words})", title, count=1)
    return title


def _spelling(acronym: str, words: list[str]) -> str | None:
    """The run of ``words`` whose capitalised initials, skipping small words, are ``acronym``; None
    when there is none. The run must start and end on a letter of the acronym."""
    letters = acronym.lower()
    for start, word in enumerate(words):
        if not word[:1].isupper() or fold(word[:1]).lower() != letters[0]:
            continue
        at, run = 0, []
        for candidate in words[start:]:
            if at == len(letters):
                break
            if candidate[:1].isupper() and fold(candidate[:1]).lower() == letters[at]:
                run.append(candidate)
                at += 1
            elif candidate.lower() in _ACRONYM_SKIPS and run:
                run.append(candidate)
            else:
                break
        if at == len(letters):
            return " ".join(run)
    return None


def _first_heading(text: str) -> str | None:
    """The block of capitalised lines the page opens with, up to about 200 characters."""
    block: list[str] = []
    for line in text.split("\n")[:_HEADING_LINES + 2]:
        letters = [ch for ch in line if ch.isalpha()]
        if not letters:
            if block:
                break
            continue
        if not all(ch.isupper() for ch in letters):
            break
        block.append(line.strip())
    heading = " ".join(block)
    if len(heading.split()) < 3:
        return None
    if len(heading) > _TITLE_CHARS:
        heading = heading[:_TITLE_CHARS].rsplit(" ", 1)[0] + " …"
    return heading


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _letters_and_digits(text: str) -> str:
    """``text`` folded, without spaces or punctuation: "NAP 5 Mid-Term" and "NAP5_Mid-Term" agree."""
    return "".join(ch for ch in _folded(text) if ch.isalnum())


_SPACES = re.compile(r"[ \t\u00a0]+")
_MANY_BREAKS = re.compile(r"\n{3,}")


#: A page is taken to be laid out one word per line when at least this many of its lines ...
_WORD_LINES_FEWEST = 12
#: ... and at least this share of them hold one word each.
_WORD_LINES_SHARE = 0.6
_ENDS_SENTENCE = (".", "!", "?", ":", ";")


def word_per_line_joined(text: str) -> str:
    """The text of a page that pypdf returned one word per line (some design tools place every word
    on its own, as in the justice network's fichas) joined into running text: a line break only
    after a sentence's end, and blank lines kept. Apertium translates line by line and the sentence
    splitter reads lines, so word-per-line text was translated word by word ("por medio de" as "by
    half of") and shown as a column of words. Any other page is returned as it is."""
    lines = [line for line in text.split("\n") if line]
    if len(lines) < _WORD_LINES_FEWEST or sum(" " not in line for line in lines) < _WORD_LINES_SHARE * len(lines):
        return text
    # Some such pages hold a blank line between every two words: there, blank lines mark no paragraph.
    blocks = text.split("\n\n")
    if len(blocks) >= _WORD_LINES_SHARE * len(lines):
        blocks = ["\n".join(lines)]
    paragraphs = []
    for block in blocks:
        sentences, words = [], []
        for line in block.split("\n"):
            words.append(line)
            if line.endswith(_ENDS_SENTENCE):
                sentences.append(" ".join(words))
                words = []
        if words:
            sentences.append(" ".join(words))
        paragraphs.append("\n".join(sentences))
    return "\n\n".join(paragraphs)


_LINE_END_HYPHEN = re.compile(r"([^\W\d_]+)-\n([^\W\d_]+)")
_WORDS = re.compile(r"[^\W\d_]+")
_HYPHENATED = re.compile(r"[^\W\d_]+-[^\W\d_]+")


def _words_made_whole(pages: list[str]) -> list[str]:
    """The pages with each word the layout broke at a line's end ("quin-" / "ce") written whole, as the
    document writes it elsewhere: "quince" where it prints that word, "anti-corruption" where it prints
    the compound with its hyphen; a break the document gives no evidence on stays as it is (a web
    address broken at a hyphen, a word the document prints only once)."""
    if not any("-\n" in page for page in pages):
        return pages
    whole = "\n".join(pages)
    words = {w.casefold() for w in _WORDS.findall(whole)}
    compounds = {w.casefold() for w in _HYPHENATED.findall(whole)}

    def mend(match: re.Match) -> str:
        first, second = match.groups()
        if f"{first}-{second}".casefold() in compounds:
            return f"{first}-{second}"
        if f"{first}{second}".casefold() in words:
            return f"{first}{second}"
        return match.group(0)

    return [_LINE_END_HYPHEN.sub(mend, page) if "-\n" in page else page for page in pages]


def clean_pdf_text(raw: str) -> str:
    """Tidy extracted text: one space between words, at most one blank line, no NULs."""
    text = raw.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _MANY_BREAKS.sub("\n\n", text).strip()
