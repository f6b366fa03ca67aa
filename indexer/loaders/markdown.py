"""Markdown guide chapters, one Document per section; front matter read as data (see frontmatter.py)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from ..records import Document, Provenance
from .frontmatter import FrontMatter, read_front_matter
from .text import read_text_file, strip_inline_markdown, title_from_filename

__all__ = ["load_markdown", "split_front_matter"]

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
# Linear (no lazy group retried against a trailing run): the closing "##" of a heading is
# removed in code by _strip_closing_hashes, which also keeps the '#' of "C#".
_HEADING = re.compile(r"^(#{1,6})[ \t]++(.+)$")
_FENCE = re.compile(r"^(```|~~~)")


def split_front_matter(text: str, warnings: list[str]) -> tuple[dict, str]:
    """Return (front matter as a dict, body). Broken YAML is dropped with a warning, never indexed."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    body = text[match.end():]
    try:
        data = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        warnings.append(f"front matter is not valid YAML ({first}); ignored it")
        return {}, body
    except Exception as exc:  # noqa: BLE001 - e.g. "date: 2001-13-45" (ValueError), very deep nesting
        warnings.append(f"front matter has a value that cannot be read ({type(exc).__name__}: {exc}); ignored it")
        return {}, body
    if not isinstance(data, dict):
        warnings.append("front matter is not a key: value block; ignored it")
        return {}, body
    return data, body


def load_markdown(path: Path, source: str) -> tuple[list[Document], list[str]]:
    warnings: list[str] = []
    meta, body = split_front_matter(read_text_file(path, source, warnings), warnings)
    facts = read_front_matter(meta)
    sections = _sections(body)
    first_h1 = next((heads[0] for heads, _ in sections if heads), None)
    title = facts.title or first_h1 or title_from_filename(path)
    base = Provenance(
        source=source,
        kind="guide",
        title=title,
        url=facts.url,
        language=facts.language,
        country=facts.country,
        year=facts.year,
        commitment_id=facts.commitment_id,
        metadata=facts.metadata,
    )
    documents = []
    if facts.is_record:
        documents.append(Document(base, _record_text(title, facts)))
    if facts.summary:
        # A post's front-matter summary is real content; index it as the opening passage.
        documents.append(Document(base, facts.summary))
    for label, value in facts.passages:
        documents.append(Document(
            dataclasses.replace(base, section=label, metadata={**facts.metadata, "field": label}), value))
    for headings, lines in sections:
        text = strip_inline_markdown("\n".join(lines)).strip()
        if not text:
            continue
        path_parts = headings[1:] if headings and headings[0] == title and len(headings) > 1 else headings
        section = " > ".join(path_parts) or None
        heading_line = headings[-1] if headings else ""
        full = f"{heading_line}\n\n{text}" if heading_line and heading_line != title else text
        documents.append(Document(dataclasses.replace(base, section=section), full))
    if not any(d.provenance.section or d.text != facts.summary for d in documents):
        # Only headings (a title page or a scroll of call-outs): index the headings themselves.
        headings_only = "\n".join(dict.fromkeys(h for heads, _ in sections for h in heads))
        if headings_only.strip():
            documents.append(Document(base, headings_only))
    return documents, warnings


def _record_text(title: str, facts: FrontMatter) -> str:
    """The record's own passage: its title, then its id and filed facts ('Status: Complete')."""
    lines = [title]
    ids = " ".join(x for x in (facts.commitment_id, facts.metadata.get("record id")) if x)
    if ids:
        lines.append(f"Commitment {ids}")
    for key in ("theme", "lead agency", "status", "date"):
        if key in facts.metadata:
            lines.append(f"{key[:1].upper()}{key[1:]}: {facts.metadata[key]}")
    return "\n".join(lines)


def _sections(body: str) -> list[tuple[list[str], list[str]]]:
    """Split Markdown into (heading path, body lines) pairs; code fences are kept whole."""
    sections: list[tuple[list[str], list[str]]] = [([], [])]
    stack: list[tuple[int, str]] = []
    in_fence = False
    for line in body.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            level = len(match.group(1))
            heading = strip_inline_markdown(_strip_closing_hashes(match.group(2))).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
            sections.append(([h for _, h in stack], []))
        else:
            sections[-1][1].append(line)
    return sections


def _strip_closing_hashes(text: str) -> str:
    """'Title ##' -> 'Title', but 'Courts in C#' keeps its '#': a closing run needs a space before it."""
    text = text.rstrip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        return bare.rstrip()
    return text
