"""YAML front matter read as data: ids become provenance, facts become metadata, long fields passages.

Trackers such as the US open-government commitment pages keep everything in front matter
(``commitment_id: US0143``, ``commitment_agency``, ``commitment_status``, progress reports)
and have little or no body; dropping it lost the records. Field names are mapped to roles by
``FIELD_ROLES`` below; a name is looked up as written, then without a ``commitment_`` prefix.

Metadata keys written: "lead agency", "status", "theme", "date", "record id" (a sub-record id
such as "US0113.1"), "field" (on a passage made from one field: the field's label), and every
other short scalar field under its own name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["FIELD_ROLES", "FrontMatter", "read_front_matter", "field_label", "html_to_text", "OGP_ID"]

#: Field name (lower case) -> role. Roles: id (the OGP commitment id), record_id, title, agency,
#: status, theme, date, url, country, language, year, summary (the page's lede, indexed as its
#: opening passage), text (always indexed as a passage), skip (site plumbing, not kept).
FIELD_ROLES: dict[str, str] = {
    "commitment_id": "id", "id": "id", "commitment_unique_identifier": "id", "ogp_id": "id",
    "commitment_detail_sub_id": "record_id", "detail_sub_id": "record_id", "sub_id": "record_id",
    "milestone_id": "record_id", "record_id": "record_id",
    "title": "title", "name": "title",
    "agency": "agency", "lead_agency": "agency", "lead_institution": "agency", "institution": "agency",
    "lead_dept": "agency", "lead": "agency", "responsible": "agency", "organisation": "agency",
    "organization": "agency", "institucion": "agency", "institución": "agency",
    "status": "status", "progress_status": "status", "completion": "status", "estado": "status",
    "theme": "theme", "theme_name": "theme", "topic": "theme", "tema": "theme",
    "date": "date", "due_date": "date", "start_date": "date", "end_date": "date", "updated": "date",
    "last_updated": "date", "fecha": "date",
    "url": "url", "source_url": "url", "link": "url",
    "country": "country", "pais": "country", "país": "country",
    "lang": "language", "language": "language", "idioma": "language",
    "year": "year",
    "description": "summary", "summary": "summary", "abstract": "summary",
    "detail_sub": "text", "detail": "text", "text": "text", "body": "text", "progress": "text",
    "layout": "skip", "permalink": "skip", "c_permalink": "skip", "theme_slug": "skip", "slug": "skip",
    "image": "skip", "highlight": "skip",
}
_LABELS = {"detail_sub": "Commitment text", "detail": "Commitment text"}
_ROLE_KEYS = {"agency": "lead agency", "status": "status", "theme": "theme", "date": "date",
              "record_id": "record id"}
#: An OGP commitment id as the search recognises one (search/query.py): "US0143", "MK0164".
OGP_ID = re.compile(r"[A-Za-z]{2,4}\d{4}")
# A value this long or longer (words) is text to index, not a fact to file.
_TEXT_WORDS = 12


@dataclass(frozen=True)
class FrontMatter:
    """Front matter sorted by what each field is for."""

    commitment_id: str | None = None
    title: str | None = None
    url: str | None = None
    country: str | None = None
    language: str | None = None
    year: int | None = None
    summary: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    passages: list[tuple[str, str]] = field(default_factory=list)  # (field label, text)
    listed: list[str] = field(default_factory=list)  # "Resources: minutes.pdf (https://...)" from lists

    @property
    def is_record(self) -> bool:
        """Whether the front matter describes a record (an id, agency or status), not only a page."""
        return bool(self.commitment_id or {"lead agency", "status", "record id"} & self.metadata.keys())


def field_label(name: str) -> str:
    """'aug_2023_progress' -> 'Aug 2023 progress'; known fields by their table label."""
    base = _base_name(name)
    if base in _LABELS:
        return _LABELS[base]
    words = re.sub(r"[_\-]+", " ", name).strip()
    return words[:1].upper() + words[1:]


_FORMATTING_TAG = re.compile(
    r"</?(?:p|div|span|em|strong|b|i|u|ul|ol|li|small|sup|sub|h[1-6]|blockquote|code)(?:\s[^<>]*)?/?>", re.I)


def html_to_text(value: str) -> str:
    """Formatting tags in a front-matter value dropped, links kept as 'text (address)', line breaks kept."""
    value = re.sub(r"<br\s*/?>", "\n", value, flags=re.I)

    def link(match: re.Match) -> str:
        href, label = match.group(1), re.sub(r"<[^>]+>", "", match.group(2)).strip()
        return href if not label or label == href else f"{label} ({href})"

    value = re.sub(r"<a\s[^>]*?href=[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", link, value, flags=re.I | re.S)
    # Only the formatting tags trackers write are markup; anything else (<script>, <img ...>) is kept
    # as the characters it is, so the reader sees what the file says and nothing runs.
    value = _FORMATTING_TAG.sub(" ", value)
    value = html.unescape(value)
    return "\n".join(" ".join(line.split()) for line in value.splitlines()).strip()


def _base_name(name: str) -> str:
    name = name.strip().lower()
    if name not in FIELD_ROLES and name.startswith("commitment_"):
        return name[len("commitment_"):]
    return name


def _role(name: str, extra: Mapping[str, str]) -> str | None:
    key = name.strip().lower()
    return extra.get(key) or FIELD_ROLES.get(key) or FIELD_ROLES.get(_base_name(key))


def read_front_matter(meta: Mapping, extra_roles: Mapping[str, str] | None = None) -> FrontMatter:
    """Sort every scalar field of ``meta`` (parsed YAML) into provenance, metadata and passages.

    ``extra_roles`` (field name -> role) extends or overrides ``FIELD_ROLES``.
    """
    extra = {k.lower(): v for k, v in (extra_roles or {}).items()}
    facts: dict[str, object] = {}
    metadata: dict[str, str] = {}
    passages: list[tuple[str, str]] = []
    listed: list[str] = []
    for name, raw in meta.items():
        if isinstance(raw, list) and _role(str(name), extra) != "skip":
            listed += [f"{field_label(str(name))}: {item}" for item in map(_list_item, raw) if item]
            continue
        if isinstance(raw, bool) or raw is None or isinstance(raw, (dict, list)):
            continue
        value = html_to_text(str(raw)) if isinstance(raw, str) else str(raw)
        if not value:
            continue
        name = str(name)
        role = _role(name, extra)
        if role == "skip":
            continue
        if role == "id":
            if OGP_ID.fullmatch(value):
                facts.setdefault("commitment_id", value.upper())
            else:
                metadata.setdefault("record id", value)
        elif role == "url":
            if value.startswith(("http://", "https://")):  # a site-relative permalink is no address
                facts.setdefault("url", value)
        elif role in ("title", "country", "language", "summary"):
            facts.setdefault(role, value)
        elif role == "year":
            if value[:4].isascii() and value[:4].isdigit():
                facts.setdefault("year", int(value[:4]))
        elif role in _ROLE_KEYS:
            metadata.setdefault(_ROLE_KEYS[role], value.replace("\n", "; "))
            if role == "date" and "year" not in facts and value[:4].isascii() and value[:4].isdigit():
                facts["year"] = int(value[:4])
        elif role == "text" or len(value.split()) >= _TEXT_WORDS:
            passages.append((field_label(name), value))
        else:
            metadata[name] = value.replace("\n", "; ")
    title = facts.get("title")
    # A sub-record whose title repeats its commitment text: the record passage holds the title already.
    passages = [(label, text) for label, text in passages if text.strip() != (title or "").strip()]
    return FrontMatter(metadata=metadata, passages=passages, listed=listed, **facts)  # type: ignore[arg-type]


def _list_item(item: object) -> str:
    """A list entry as one line: a scalar as is, a mapping's scalar values joined ('file.pdf (https://...)')."""
    if isinstance(item, dict):
        values = [html_to_text(str(v)) for v in item.values()
                  if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip()]
        return values[0] + (f" ({'; '.join(values[1:])})" if len(values) > 1 else "") if values else ""
    if isinstance(item, (str, int, float)) and not isinstance(item, bool):
        return html_to_text(str(item))
    return ""
