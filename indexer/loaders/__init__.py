"""Readers for each file format, chosen by file extension.

Each loader turns one file into ``Document`` records (a PDF page, a guide section, a
commitment) or raises ``LoaderError`` with a reason a non-engineer can act on. Loaders
know nothing about chunking, embedding or the index.

A file ``NAME.source.json`` beside a document may give facts the file itself lacks
(``url``, ``title``, ``country``, ``region``, ``year``, ``language``); citations then
use them, e.g. to link a fetched PDF to its official address.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..countries import canonical_country
from ..errors import LoaderError
from ..records import Document
from .ocr import OcrOptions
from . import commitments_csv, docx, html, markdown, pdf, spreadsheet, structured, text

__all__ = ["ReadOptions", "parse_field_roles", "is_corpus_metadata", "sidecar_citation_fields", "LoadedFile", "LOADERS", "SIDECAR_SUFFIX", "is_indexable", "load_file"]

SIDECAR_SUFFIX = ".source.json"


@dataclass(frozen=True)
class ReadOptions:
    """What the settings say about reading files, for the loaders that take options (today the PDF
    loader's OCR of pages without a text layer)."""

    ocr: OcrOptions = field(default_factory=OcrOptions)
    #: Front-matter field name -> role, beside frontmatter.FIELD_ROLES (the frontmatter_fields setting).
    field_roles: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings) -> ReadOptions:
        return cls(ocr=OcrOptions.from_settings(settings), field_roles=parse_field_roles(settings.frontmatter_fields))


def parse_field_roles(text: str) -> tuple[tuple[str, str], ...]:
    """"lead_org=agency, avance=text" -> (("lead_org", "agency"), ("avance", "text")); LoaderError-free:
    the settings check (indexer/settings.py) has refused anything else already."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return tuple((name.strip().lower(), role.strip()) for name, role in pairs)


@dataclass(frozen=True)
class LoadedFile:
    """What a loader made of one file, plus anything worth telling the user."""

    documents: list[Document]
    warnings: list[str] = field(default_factory=list)


Loader = Callable[[Path, str], tuple[list[Document], list[str]]]

#: File extension -> loader. Add a format by adding a module and a line here.
LOADERS: dict[str, Loader] = {
    ".pdf": pdf.load_pdf,
    ".md": markdown.load_markdown,
    ".markdown": markdown.load_markdown,
    ".html": html.load_html,
    ".htm": html.load_html,
    ".txt": text.load_text,
    ".csv": commitments_csv.load_commitments_csv,
    ".yaml": structured.load_structured,
    ".yml": structured.load_structured,
    ".json": structured.load_structured,
    ".xlsx": spreadsheet.load_spreadsheet,
    ".ods": spreadsheet.load_spreadsheet,
    ".docx": docx.load_docx,
}

# Files that describe the corpus rather than belong to it.
_NOT_DOCUMENTS = {"readme.md", "sources.toml", "license", "license.md", "licence.md"}


def is_indexable(path: Path) -> bool:
    """True for files the build should read: a known extension, not a sidecar or README."""
    name = path.name.lower()
    if name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or name in _NOT_DOCUMENTS:
        return False
    return path.suffix.lower() in LOADERS


def load_file(path: Path, source: str, options: ReadOptions | None = None) -> LoadedFile:
    """Read one corpus file. ``source`` is its path relative to the corpus root.

    Raises:
        LoaderError: the file cannot be read; the message says why.
    """
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoaderError(source, f"unsupported file type '{path.suffix}'")
    try:
        if path.stat().st_size == 0:
            raise LoaderError(source, "the file is empty (0 bytes)")
        if loader is pdf.load_pdf:
            documents, warnings = loader(path, source, (options or ReadOptions()).ocr)
        elif loader is markdown.load_markdown and options is not None and options.field_roles:
            documents, warnings = loader(path, source, dict(options.field_roles))
        else:
            documents, warnings = loader(path, source)
    except LoaderError:
        raise
    except PermissionError:
        raise LoaderError(source, "permission denied: the indexer cannot read this file") from None
    except OSError as exc:
        raise LoaderError(source, f"cannot read the file ({exc.strerror or exc})") from None
    except RecursionError:
        raise LoaderError(source, "the file is too deeply nested to read (damaged?)") from None
    except MemoryError:
        raise LoaderError(source, "the file is too large to read with the memory available") from None
    except Exception as exc:  # noqa: BLE001 - last resort: one odd file must not stop the build
        raise LoaderError(
            source, f"the file could not be read: it looks damaged or unusual ({type(exc).__name__}: {exc}); "
            "if it opens normally elsewhere, please report this"
        ) from None
    documents = [d for d in documents if d.text.strip()]
    if not documents:
        raise LoaderError(source, "no text found in the file")
    # A section's text may open with its heading line: the filler is looked for in its first lines.
    kept = [d for d in documents if not _PLACEHOLDER.search(d.text[:_PLACEHOLDER_REACH])]
    if not kept:
        raise LoaderError(source, "only placeholder text (lorem ipsum): nothing to index; replace it with the "
                                  "real text and build again")
    if len(kept) < len(documents):
        warnings.append(f"{len(documents) - len(kept)} section(s) of placeholder text (lorem ipsum) left out")
        documents = kept
    overrides = _read_sidecar(path, source, warnings)
    if overrides:
        documents = [
            dataclasses.replace(d, provenance=dataclasses.replace(d.provenance, **overrides))
            for d in documents
        ]
    return LoadedFile([_tidied(d) for d in documents], warnings)


#: A page template's filler ("Lorem ipsum dolor sit amet...") says nothing and is in no language a reader
#: asks in; left in, it answered questions and offered "Latin" in the language filter.
_PLACEHOLDER = re.compile(r"\blorem ipsum\b", re.IGNORECASE)
_PLACEHOLDER_REACH = 200


#: Characters a reader never sees: a byte-order mark inside the text (a web editor's "D\ufeffía"), zero-width
#: spaces and joiners, soft hyphens. Left in, they cut a word in two for the keyword index ("d" + "ía").
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def _tidied(document: Document) -> Document:
    """``document`` with its member in the export's English spelling ("España" in a spreadsheet of
    cases, "Spain" in the export): one member is one filter choice and one facet, whichever
    language a file names it in (a name the tables do not know stays as written); its title on
    one line with single spaces, as a citation prints it (the export has titles with double spaces
    and line breaks); and no invisible characters in its text, title or section."""
    p = document.provenance
    country = canonical_country(p.country.strip()) if p.country else p.country
    title = " ".join(_INVISIBLE.sub("", p.title).split()) or p.title
    section = _INVISIBLE.sub("", p.section) if p.section else p.section
    text = _INVISIBLE.sub("", document.text)
    if (country, title, section, text) == (p.country, p.title, p.section, document.text):
        return document
    return dataclasses.replace(document, text=text,
                               provenance=dataclasses.replace(p, country=country, title=title, section=section))


_SIDECAR_FIELDS = {"url": str, "title": str, "country": str, "region": str, "year": int, "language": str}


def _read_sidecar(path: Path, source: str, warnings: list[str]) -> dict[str, object]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
        warnings.append(f"ignored {sidecar.name}: {exc}")
        return {}
    out: dict[str, object] = {}
    for key, kind in _SIDECAR_FIELDS.items():
        value = data.get(key)
        if value in (None, ""):
            continue
        try:
            out[key] = kind(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: "year": 1e999
            warnings.append(f"ignored '{key}' in {sidecar.name}: not a {kind.__name__}")
    areas = data.get("policy_areas", data.get("policy_area"))
    if isinstance(areas, str):
        areas = [a.strip() for a in areas.split(",")]
    if isinstance(areas, list):
        out["policy_areas"] = tuple(str(a).strip() for a in areas if str(a).strip())
    return out


def sidecar_citation_fields(path: Path) -> bytes:
    """The sidecar facts that change what a citation says, as bytes for the file's content hash
    (so retitling a document re-indexes it, while fetch bookkeeping such as fetched_at does not)."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return b""
    if not isinstance(data, dict):
        return b""
    keep = {k: data.get(k) for k in (*_SIDECAR_FIELDS, "policy_area", "policy_areas") if k in data}
    return json.dumps(keep, sort_keys=True, default=str).encode()


def is_corpus_metadata(path: Path) -> bool:
    """A README, sources.toml or licence: describes the corpus, is neither indexed nor 'unsupported'."""
    return path.name.lower() in _NOT_DOCUMENTS
