"""Plain text files, and the helpers other loaders share: decoding and inline-markup cleanup."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..errors import LoaderError
from ..records import Document, Provenance

__all__ = ["load_text", "read_text_file", "strip_inline_markdown", "title_from_filename"]


def read_text_file(path: Path, source: str, warnings: list[str]) -> str:
    """Decode a text file as UTF-8, falling back to Windows-1252 (common in exports) with a warning."""
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise LoaderError(source, "this is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append("not valid UTF-8; read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def title_from_filename(path: Path) -> str:
    """'access-to-justice_note.pdf' -> 'Access to justice note'; a hyphen with a space on each side
    separates the name's parts and stays ('Justicia Abierta - Red Ciudadana')."""
    words = " ".join(re.sub(r"_+|(?<=\S)-+(?=\S)|-+(?=\S)|(?<=\S)-+", " ", path.stem).split())
    return (words[:1].upper() + words[1:]) if words else path.name


# Every pattern below is linear in the text: each repeated part stops at the next opening
# delimiter, so two attempts never rescan the same characters. The plain forms (e.g.
# "[^\]]*" or ".+?") rescan to the end from every "[", "*" or "<", which took minutes on a
# 100 KB one-line file full of them.
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()]|\([^()]*\))*\)")
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
_EMPHASIS = re.compile(
    r"\*\*(?=\S)((?:[^*\n]|\*(?!\*))+?)(?<=\S)\*\*"
    r"|__(?=\S)((?:[^_\n]|_(?!_))+?)(?<=\S)__"
    r"|\*(?=\S)([^*\n]+?)(?<=\S)\*"
    r"|(`+)(?=\S)([^`\n]+?)(?<=\S)\4"
)
_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>")
# An embedded frame's, script's or player's content is what a browser shows while it loads or
# cannot ("Cargando…"), or code: not the page's words.
_EMBEDDED = re.compile(r"<(iframe|script|style|noscript|object|video|audio)\b[^<>]*>[^<]*</\1\s*>", re.I)


# Markdown's escapes: a backslash before punctuation ("\#Guatemala", "\*") keeps the mark as written, and
# one ending a line is a hard line break. The marks are held as private-use characters while the other
# patterns run (an escaped "*" opens no emphasis, an escaped "[" no link), then given back bare.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_HARD_BREAK = re.compile(r"\\(?=\n|\Z)")
_HELD = 0xE000
_HELD_MARKS = re.compile("[\ue021-\ue07e]")


def _held_escapes(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(_HELD + ord(m.group(1))), _HARD_BREAK.sub("", text))


def _given_back(text: str) -> str:
    return _HELD_MARKS.sub(lambda m: chr(ord(m.group(0)) - _HELD), text)


def _without_comments(text: str) -> str:
    """``text`` without its HTML comments ("<!--StartFragment-->", left by a web editor's paste), which
    say nothing a reader sees; an unclosed one is left. A scan with str.find, not a pattern: one
    opening after another, unclosed, would make a pattern rescan to the end from each."""
    if "<!--" not in text:
        return text
    parts, at = [], 0
    while (start := text.find("<!--", at)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[at:start])
        at = end + 3
    parts.append(text[at:])
    return "".join(parts)


def _emphasis_text(match: re.Match) -> str:
    return next(g for g in match.group(1, 2, 3, 5) if g is not None)


def strip_inline_markdown(text: str) -> str:
    """Markdown inline syntax to plain words: links keep their text, images their alt text, escaped
    marks their mark; HTML comments, hard line breaks' backslashes and the placeholder text of embedded
    frames and scripts are dropped."""
    escaped = "\\" in text  # a file without backslashes keeps any private-use characters it has
    if escaped:
        text = _held_escapes(text)
    text = _EMBEDDED.sub("", _without_comments(text))
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _EMPHASIS.sub(_emphasis_text, text)
    return _given_back(text) if escaped else text


def load_text(path: Path, source: str) -> tuple[list[Document], list[str]]:
    """A plain text file: one Document, or one per section when it has heading lines (below)."""
    warnings: list[str] = []
    body = strip_inline_markdown(read_text_file(path, source, warnings)).strip()
    base = Provenance(source=source, kind="text", title=title_from_filename(path))
    return [Document(replace(base, section=heading), text) for heading, text in _sections(body)], warnings


_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
_BULLET = re.compile(r"^[-*•❖▪–]|^\d{1,3}[.)]\s")


def _is_heading(paragraph: str) -> bool:
    """A paragraph that is one short line, capitalised, without closing punctuation or a bullet:
    "Meetings", "Leadership and Membership"."""
    return ("\n" not in paragraph and len(paragraph) <= 80 and len(paragraph.split()) <= 8
            and paragraph[:1].isupper() and paragraph[-1] not in ".,;:!?…\"'”’)" and not _BULLET.match(paragraph))


def _sections(body: str) -> list[tuple[str | None, str]]:
    """(heading, text) parts of a plain text file, split at heading lines set off by blank lines.

    Headings before the first paragraph of prose are the file's title block and stay with the
    opening part (heading None); a heading with nothing under it joins the next part. A file
    without such lines is one part, as before, so a reader is sent to the section, not the file.
    """
    paragraphs = [p.strip() for p in _BLANK_LINES.split(body) if p.strip()]
    headings = [_is_heading(p) for p in paragraphs]
    first_prose = headings.index(False) if False in headings else len(paragraphs)
    parts: list[tuple[str | None, list[str]]] = [(None, paragraphs[:first_prose + 1])]
    for paragraph, is_heading in zip(paragraphs[first_prose + 1:], headings[first_prose + 1:]):
        heading, lines = parts[-1]
        if is_heading:
            if heading is not None and lines == [heading]:
                parts[-1] = (paragraph, [heading, paragraph])  # an empty section: its line joins this one
            else:
                parts.append((paragraph, [paragraph]))
        else:
            lines.append(paragraph)
    if len(parts) == 1:
        return [(None, body)] if body else []
    return [(heading, "\n\n".join(lines)) for heading, lines in parts if lines]
