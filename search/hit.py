"""A search result: a passage, where it is, and how to cite and link it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from indexer.records import CitationWords, Provenance, citation_label, printed_label

from .filters import LANGUAGE_NAMES

__all__ = ["Hit", "page_view_path", "safe_url"]


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) address, else None (never ``javascript:`` and the like)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ch in '<>"\'`\\' for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def page_view_path(source: str, page: int, document_id: int, char_start: int, char_end: int) -> str:
    """The app's page view of a PDF page with a passage marked, as a path relative to the app's
    address ("/page/reports/x.pdf?page=3&doc=12&start=0&end=840"): the library does not know where
    the app is served, so a client joins it to the app's URL. ``doc``, ``start`` and ``end`` say
    which indexed text to mark (the page's document and the passage's offsets in it)."""
    query = urlencode({"page": page, "doc": document_id, "start": char_start, "end": char_end})
    return f"/page/{quote(source, safe='/')}?{query}"


@dataclass(frozen=True)
class Hit:
    """One result: a passage, its provenance, its score and the sentence that best answers."""

    rank: int
    score: float
    chunk_id: int
    document_id: int
    provenance: Provenance
    text: str
    char_start: int
    char_end: int
    language: str
    highlight: tuple[int, int]  # best sentence, as offsets into ``text``
    also_in: tuple[Provenance, ...] = field(default=())
    # The numbered part of a report page the passage is in ("Commitment 18"), when the page shows it.
    part: str | None = None
    # The numbered part of each "also in" place, in the order of also_in (None where it has none).
    also_in_parts: tuple[str | None, ...] = field(default=())
    # The language of the question's version that found it: a machine translation of the question
    # ("es" for an English question's Spanish version), else the language it was asked in; None
    # when the question was not translated.
    matched_language: str | None = None
    # The question as the passage's best sentence was chosen for: its machine translation into the
    # passage's language when there is one, else as asked ("" for a Hit made elsewhere). The answer
    # box picks its sentences with it too, so a Spanish question is answered from English passages.
    asked_as: str = ""
    # The next page, when the passage is a page's last and runs on to that page's first (search.places):
    # ``text`` then holds both, and the citation names both pages ("pp. 58–59").
    runs_on: Provenance | None = None
    runs_on_chunk_id: int | None = None
    # Another part of the file that the same citation names (a post's summary and its body,
    # search.places): ``text`` then holds both, in the file's order.
    part_with_chunk_id: int | None = None

    @property
    def pages(self) -> list[int]:
        """Every page the passage is on: two when it runs on to the next page, none outside a PDF."""
        if not self.provenance.page:
            return []
        return [self.provenance.page] + ([self.runs_on.page] if self.runs_on is not None else [])

    @property
    def citation(self) -> str:
        """The passage's citation (indexer.records.citation_label), the same on every surface."""
        return self.cited()

    def cited(self, words: CitationWords | None = None) -> str:
        """The citation with its own words ("PDF page", "read by OCR") in another language."""
        return citation_label(self.provenance, self.part, self.runs_on, words)

    @property
    def also_in_citations(self) -> tuple[str, ...]:
        """The citation of each place in also_in, with its numbered part, as the passage's own, and its
        language when the source declares another than the passage's (a bilingual record's twin)."""
        return self.also_in_cited()

    def also_in_cited(self, words: CitationWords | None = None,
                      language_name: Callable[[str], str] | None = None) -> tuple[str, ...]:
        """also_in_citations with the citations' words and the languages' names in another language."""
        parts = self.also_in_parts + (None,) * (len(self.also_in) - len(self.also_in_parts))
        name = language_name or (lambda code: LANGUAGE_NAMES.get(code, code))
        return tuple(citation_label(p, part, None, words)
                     + (f" ({name(p.language)})" if p.language and p.language != self.cited_language else "")
                     for p, part in zip(self.also_in, parts))

    @property
    def cited_language(self) -> str:
        """The language the source declares (sidecar or export), else the one detected in the passage."""
        return self.provenance.language or self.language

    @property
    def best_sentence(self) -> str:
        return self.text[self.highlight[0]:self.highlight[1]]

    @property
    def link(self) -> str | None:
        """The official URL, at the page for PDFs; None when the source has no URL (serve the file)."""
        p = self.provenance
        if not safe_url(p.url):
            return None
        if p.page and p.kind == "report" and "#" not in p.url:
            return f"{p.url}#page={p.page}"
        return p.url

    @property
    def page_view(self) -> str | None:
        """The app's page view of this passage (see page_view_path); None unless it is a PDF page."""
        p = self.provenance
        if not p.page or not p.source.lower().endswith(".pdf"):
            return None
        return page_view_path(p.source, p.page, self.document_id, self.char_start, self.char_end)

    def to_dict(self) -> dict:
        p = self.provenance
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "text": self.text,
            "source": p.source,
            "title": p.title,
            "kind": p.kind,
            "page": p.page,
            "pages": self.pages,
            "runs_on": ({"page": self.runs_on.page, "page_label": printed_label(self.runs_on)}
                        if self.runs_on is not None else None),
            "page_label": p.page_label,
            "section": p.section,
            "part": self.part,
            "matched_language": self.matched_language,
            "commitment_id": p.commitment_id,
            "country": p.country,
            "region": p.region,
            "year": p.year,
            "url": safe_url(p.url),
            "link": self.link,
            "page_view": self.page_view,
            "language": self.cited_language,
            "policy_areas": list(p.policy_areas),
            "metadata": dict(p.metadata),
            "citation": self.citation,
            "best_sentence": self.best_sentence,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "also_in": [
                {"source": a.source, "page": a.page, "page_label": a.page_label, "section": a.section,
                 "commitment_id": a.commitment_id, "citation": citation}
                for a, citation in zip(self.also_in, self.also_in_citations)
            ],
        }
