"""YAML and JSON files (trackers, data dictionaries): one passage per record that carries text.

A record is a mapping with text in it; it is cited by its path in the file, a list item named by
its id field, without the schema's container keys ("nap5 > indicators > C04.3.1" for
resources > nap5 > fields > indicators > choices > C04.3.1, which "record path" keeps). Bilingual
values ({en: ..., fr: ...} or title_en / title_fr) give one passage per language with that language
set. Short scalars are kept as metadata; "record path" and "record id" are set on every passage.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import LoaderError
from ..records import PART_OF_KEY, Document, Provenance
from .frontmatter import OGP_ID, field_label, html_to_text
from .text import read_text_file, title_from_filename

__all__ = ["load_structured"]

_LANGUAGES = ("en", "fr", "es", "pt")
_LANGUAGE_SUFFIX = re.compile(r"^(?P<name>.+?)[_\-](?P<lang>en|fr|es|pt)$", re.I)
_NAME_FIELDS = ("id", "datastore_id", "code", "key", "name", "resource_name", "slug")
# A value this long (words) is text to index, not a fact to file.
_TEXT_WORDS = 6
# Keys that only hold the records under them in data schemas (CKAN's scheming files, JSON Schema): left
# out of a record's cited place ("nap6 > milestones > C04.4", not "resources > nap6 > fields > milestones >
# choices > C04.4"); "record path" keeps them.
_CONTAINER_KEYS = frozenset({"resources", "fields", "choices", "items", "properties", "values", "data", "records",
                             "entries", "elements", "children", "nodes"})
# YAML aliases let a small file name a huge tree ("billion laughs"); reading stops past this many nodes.
_MOST_NODES = 500_000


def load_structured(path: Path, source: str) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    raw = read_text_file(path, source, warnings)
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:  # ValueError: a date such as 2001-13-45
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        raise LoaderError(source, f"the file is not valid {path.suffix.lstrip('.').upper()} ({first})") from None
    except RecursionError:
        raise LoaderError(source, "the file is too deeply nested to read") from None
    title = data.get("title") if isinstance(data, dict) else None
    if isinstance(title, dict):
        title = title.get("en") or next(iter(title.values()), None)
    title = html_to_text(title) if isinstance(title, str) else None
    base = Provenance(source=source, kind="guide", title=title or title_from_filename(path))
    documents: list[Document] = []
    try:
        _walk(data, [], [], base, documents, [_MOST_NODES])
    except RecursionError:
        raise LoaderError(source, "the file is too deeply nested to read") from None
    return _under_parents(documents), warnings


def _under_parents(documents: list[Document]) -> list[Document]:
    """Each record whose dotted id extends other records' ids in the file ("C03.1.3" under "C03.1"
    under "C03") with those records' first lines, in its language, as the context it is read in.
    Trackers list a milestone's indicators apart from the milestone, and an indicator alone ("Provide
    dashboards ... by fall 2027") names neither the body nor the plan it belongs to."""
    first_lines: dict[tuple[str, str | None], str] = {}
    for document in documents:
        record_id = document.provenance.metadata.get("record id")
        if record_id:
            first_lines.setdefault((record_id, document.provenance.language), document.text.split("\n", 1)[0])
    out = []
    for document in documents:
        p = document.provenance
        prefix, parents = p.metadata.get("record id") or "", []
        while "." in prefix:
            prefix = prefix.rsplit(".", 1)[0]
            line = first_lines.get((prefix, p.language))
            if line:
                parents.append(line)
        if parents:
            metadata = {**p.metadata, PART_OF_KEY: " | ".join(parents)}
            document = replace(document, provenance=replace(p, metadata=metadata))
        out.append(document)
    return out


def _bilingual(value: Any) -> dict[str, str] | None:
    """{en: ..., fr: ...} with text values, else None."""
    if isinstance(value, dict) and value and set(map(str, value)) <= set(_LANGUAGES):
        if all(isinstance(v, str) for v in value.values()):
            return {str(k): html_to_text(v) for k, v in value.items() if v.strip()}
    return None


def _is_prose(value: str) -> bool:
    """Words rather than code (a spreadsheet formula or script kept in a data dictionary)."""
    letters = sum(c.isalpha() or c.isspace() for c in value)
    return letters >= 0.8 * len(value)


def _item_name(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in _NAME_FIELDS:
            if isinstance(item.get(key), (str, int)) and str(item[key]).strip():
                return str(item[key]).strip()
    return f"item {index + 1}"


def _walk(node: Any, path: list[str], shown: list[str], base: Provenance, out: list[Document],
          budget: list[int]) -> None:
    """``path``: the keys and item names down to ``node``; ``shown``: the same without the schema's
    container keys (_CONTAINER_KEYS), which tell a reader nothing."""
    budget[0] -= 1
    if budget[0] < 0:
        raise LoaderError(base.source, f"the file holds more than {_MOST_NODES:,} values (repeated YAML aliases?)")
    if isinstance(node, list):
        for index, item in enumerate(node):
            name = _item_name(item, index)
            _walk(item, [*path, name], [*shown, name], base, out, budget)
        return
    if not isinstance(node, dict):
        return
    by_language: dict[str | None, list[str]] = {}
    metadata: dict[str, str] = {}
    children: list[tuple[str, Any]] = []
    for key, value in node.items():
        name = str(key)
        pair = _bilingual(value)
        suffix = _LANGUAGE_SUFFIX.match(name)
        if name in _LANGUAGES and isinstance(value, str):
            by_language.setdefault(name, []).insert(0, html_to_text(value))
        elif pair is not None and not re.search(r"\d", name):
            for lang, text in pair.items():
                by_language.setdefault(lang, []).append(f"{field_label(name)}: {text}")
        elif isinstance(value, (dict, list)):
            children.append((name, value))
        elif isinstance(value, str) and suffix and value.strip():
            label = field_label(suffix.group("name"))
            by_language.setdefault(suffix.group("lang").lower(), []).append(f"{label}: {html_to_text(value)}")
        elif isinstance(value, str) and len(value.split()) >= _TEXT_WORDS and _is_prose(value):
            by_language.setdefault(None, []).append(f"{field_label(name)}: {html_to_text(value)}")
        elif value is not None and not isinstance(value, bool) and str(value).strip():
            metadata[name] = str(value).strip()
    if by_language:
        _emit(by_language, metadata, path, shown, base, out)
    for name, value in children:
        _walk(value, [*path, name], shown if name.lower() in _CONTAINER_KEYS else [*shown, name], base, out, budget)


def _emit(by_language: dict[str | None, list[str]], metadata: dict[str, str], path: list[str], shown: list[str],
          base: Provenance, out: list[Document]) -> None:
    """One passage per language of a record; language-neutral lines go into each (or stand alone)."""
    record_id = path[-1] if path else None
    neutral = by_language.pop(None, [])
    facts = {**metadata, "record path": " > ".join(path)}
    if record_id:
        facts["record id"] = record_id
    commitment_id = next((v for v in (record_id, *metadata.values()) if v and OGP_ID.fullmatch(v)), None)
    section = " > ".join(shown) or None
    languages: list[str | None] = list(by_language) or [None]
    for language in languages:
        lines = [*by_language.get(language, []), *neutral] if language else neutral
        if record_id and lines:
            lines = [f"{record_id}: {lines[0]}", *lines[1:]]
        out.append(Document(
            Provenance(source=base.source, kind=base.kind, title=base.title, section=section,
                       language=language, commitment_id=commitment_id, metadata=facts),
            "\n".join(lines)))
