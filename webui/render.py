"""HTML for result cards, the answer, the evidence basket, the comparable-commitments table and the
index status panel. Document text and metadata are always escaped: shown as text, never as markup.
Interface words come from webui.i18n in the reader's language; document text is never translated."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from indexer.records import RUNNING_LINES_KEY, page_citation
from search import Filters, Hit, extractive_summary
from search.briefing import Pin, safe_url

from .files import CORPUS_ROUTE
from .i18n import (citation_words, country_name, format_datetime, format_number, kind_label, language_name, text,
                   value_name)
from .source import card_source
from .translation import translate_button

__all__ = ["source_href", "render_card", "describe_filters", "render_results", "render_summary",
           "render_basket", "render_status", "compare_rows", "compare_chart", "compare_note", "no_answer_html"]


def _e(value: Any) -> str:
    """HTML-escape any value (document text, metadata) for text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def source_href(hit: Hit, corpus_prefix: str = CORPUS_ROUTE, language: str = "en") -> tuple[str | None, str]:
    """(href, label) of the link that opens a hit's source: the official URL when there is a safe
    http(s) one, else the corpus file served by the app (at the page, for PDFs)."""
    p = hit.provenance
    official = safe_url(hit.link)
    pages = (text(language, "page_printed"), text(language, "page_pdf"), text(language, "page_printed_and_pdf"))
    at_page = text(language, "open_pdf_page", page=page_citation(p, pages) or "")
    if official:
        if p.kind == "commitment":
            return official, text(language, "open_commitment")
        if p.kind == "report" and p.page:
            return official, at_page
        return official, text(language, "open_source")
    href = f"{corpus_prefix}/{quote(p.source, safe='/')}"
    if p.kind == "report" and p.page:
        return f"{href}#page={p.page}", at_page
    return href, text(language, "open_file")


_SOFT_BREAK = re.compile(r"(?<!\n)\n(?!\n)")


def _passage_html(passage: str, start: int, end: int, kind: str = "") -> str:
    """Escaped text with [start:end] in <mark>; a PDF's hard line wraps shown as spaces."""
    if kind == "report":
        passage = _SOFT_BREAK.sub(" ", passage)  # same length: the offsets still hold
    if not (0 <= start <= end <= len(passage)) or start == end:
        return _e(passage)
    return f"{_e(passage[:start])}<mark>{_e(passage[start:end])}</mark>{_e(passage[end:])}"


def _card_meta(hit: Hit, language: str) -> list[str]:
    """The line under a card's citation: type, place, year, language, policy areas, IRM facts."""
    p = hit.provenance
    meta = [kind_label(language, p.kind)]
    meta += [str(v) for v in (country_name(language, p.country or ""), value_name(language, p.region or ""), p.year)
             if v]
    meta.append(language_name(language, hit.cited_language))
    if p.policy_areas:
        meta.append(text(language, "meta_policy_areas", areas=", ".join(p.policy_areas)))
    facts = p.metadata or {}
    if facts.get("lead_institution"):
        meta.append(text(language, "meta_lead", lead=facts["lead_institution"]))
    if facts.get("irm_potential_impact"):
        meta.append(text(language, "meta_impact", value=value_name(language, facts["irm_potential_impact"])))
    completion = facts.get("irm_completion_end_of_term") or facts.get("irm_completion_midterm")
    if completion:
        meta.append(text(language, "meta_completion", value=value_name(language, completion)))
    return meta


def render_card(hit: Hit, document_text: str | None = None, pinned: bool = False, language: str = "en") -> str:
    """One result as HTML: citation, passage with its best sentence marked, source link, pin button
    and the whole page / section / commitment around the passage."""
    p = hit.provenance
    start, end = hit.highlight
    cite = citation_words(language)
    href, label = source_href(hit, language=language)
    parts = [
        f'<article class="jx-hit" id="result-{hit.rank}" tabindex="-1" data-rank="{hit.rank}" data-kind="{_e(p.kind)}" '
        f'data-country="{_e(p.country or "")}" data-year="{_e(p.year or "")}" data-source="{_e(p.source)}" '
        f'data-page="{_e(p.page or "")}" data-language="{_e(hit.language)}">',
        f'<header><span class="jx-rank">{hit.rank}</span><span class="jx-cite">{_e(hit.cited(cite))}</span></header>',
        f'<div class="jx-meta">{" · ".join(_e(m) for m in _card_meta(hit, language))}</div>',
        f'<blockquote class="jx-passage">{_passage_html(hit.text, start, end, p.kind)}</blockquote>',
    ]
    pin_label = text(language, "pinned" if pinned else "pin")
    links = [f'<button type="button" class="jx-pin-btn" data-rank="{hit.rank}" '
             f'data-pinned-label="{_e(text(language, "pinned"))}"{" disabled" if pinned else ""}>{_e(pin_label)}</button>']
    links.append(translate_button(hit, language))
    if href:
        links.append(f'<a class="jx-source-link" href="{_e(href)}" target="_blank" rel="noopener noreferrer">'
                     f'{_e(label)}</a>')
    if hit.page_view:
        view = hit.page_view + ("" if language == "en" else f"&ui={language}")
        links.append(f'<a class="jx-page-view" href="{_e(view.lstrip("/"))}" target="_blank" '
                     f'rel="noopener noreferrer">{_e(text(language, "view_page"))}</a>')
    parts.append(f'<div class="jx-links">{"".join(links)}</div>')
    if hit.also_in:
        parts.append(f'<div class="jx-also">{_e(text(language, "also_in"))}'
                     + "; ".join(_e(c) for c in hit.also_in_cited(cite, lambda code: language_name(language, code)))
                     + "</div>")
    if document_text:
        what = text(language, f"whole.{p.kind}" if p.kind in ("report", "guide", "commitment") else "whole.other")
        # The page of the text that holds the passage, not the whole of a long document (webui/source.py).
        found = document_text[hit.char_start:hit.char_end] == hit.text
        body = card_source(hit.document_id, document_text, (hit.char_start, hit.char_end) if found else None,
                           (start, end), language)
        running = p.metadata.get(RUNNING_LINES_KEY)
        if running:  # the page's header and footer lines, kept apart from its text but never lost
            body += f'<div class="jx-running"><strong>{_e(text(language, "running_lines"))}</strong> {_e(running)}</div>'
        parts.append(f'<details class="jx-source"><summary>{_e(text(language, "show_source", what=what))}'
                     f'</summary>{body}</details>')
    parts.append("</article>")
    return "\n".join(parts)


def describe_filters(filters: Filters | None, language: str = "en") -> str:
    """'Document type: OGP commitment · Country: North Macedonia · Years: 2016-2024' ('' without filters)."""
    if filters is None or not filters.active:
        return ""
    parts = []
    for key, values in (("country", [country_name(language, c) for c in filters.country]),
                        ("region", [value_name(language, r) for r in filters.region]),
                        ("kind", [kind_label(language, k) for k in filters.kind]),
                        ("policy_area", filters.policy_area),
                        ("language", [language_name(language, v) for v in filters.language])):
        if values:
            parts.append(text(language, "label_value", label=text(language, key), values=", ".join(values)))
    if filters.year_from is not None or filters.year_to is not None:
        parts.append(text(language, "years_filter", first=filters.year_from or "…", last=filters.year_to or "…"))
    return " · ".join(parts)


def render_results(hits: Sequence[Hit], documents: dict[int, str] | None = None, notice: str = "",
                   answered: bool = True, pinned: set[int] | None = None, filters: Filters | None = None,
                   language: str = "en") -> str:
    """The result cards; ``documents`` maps document ids to their whole text (for "show source"),
    ``pinned`` holds the chunk ids already in the evidence basket."""
    documents = documents or {}
    pinned = pinned or set()
    count = text(language, "passages" if len(hits) == 1 else "passages_plural", n=format_number(language, len(hits)))
    head = f'<div class="jx-count">{_e(count)}'
    described = describe_filters(filters, language)
    if described:
        head += " · " + _e(text(language, "only", filters=described))
    if hits and not answered:
        head += " " + _e(text(language, "leads_only"))
    head += "</div>"
    if notice:
        head = f'<div class="jx-notice">{_e(notice)}</div>' + head
    cards = (render_card(h, documents.get(h.document_id), h.chunk_id in pinned, language) for h in hits)
    return head + "\n".join(cards)


def no_answer_html(message: str) -> str:
    """The answer box with a plain message instead of an answer."""
    return f'<div class="jx-answer jx-none" id="jx-answer"><p>{_e(message)}</p></div>'


def render_summary(question: str, hits: Sequence[Hit], language: str = "en",
                   documents: Mapping[int, str] | None = None) -> str:
    """The answer: verbatim sentences from the top passages, each with its result number; or a plain
    statement that nothing answers closely. ``documents`` (document id -> stored text, as for
    render_results) lets every quoted sentence be checked against the document as it was read."""
    stored = None if documents is None else [documents.get(h.document_id, "")[h.char_start:h.char_end] for h in hits]
    sentences = extractive_summary(question, [(h.text, h.language, h.asked_as) for h in hits], stored=stored) if hits else []
    if not sentences:
        return no_answer_html(text(language, "no_answer"))
    items = "".join(
        f'<li>{_e(" ".join(s.text.split()))} <a class="jx-ref" href="#result-{s.citation}">[{s.citation}]</a></li>'
        for s in sentences
    )
    return (f'<div class="jx-answer" id="jx-answer"><strong>{_e(text(language, "answer_heading"))}</strong>'
            f'<ul>{items}</ul></div>')


def render_basket(pins: Sequence[dict], language: str = "en") -> str:
    """The pinned passages, shortened, each with its citation."""
    if not pins:
        return f'<div class="jx-basket"><p>{_e(text(language, "basket_empty"))}</p></div>'
    items = []
    for pin in pins:
        p = Pin.from_dict(pin)
        flowed = " ".join(p.text.split())
        short = flowed if len(flowed) <= 320 else flowed[:317].rsplit(" ", 1)[0] + "…"
        items.append(f'<li class="jx-pin"><span class="jx-cite">{_e(p.cited(citation_words(language)))}</span>'
                     f'<blockquote class="jx-passage">{_e(short)}</blockquote></li>')
    return f'<div class="jx-basket"><ol>{"".join(items)}</ol></div>'


def _table(headers: Sequence[str] | None, rows: Sequence[Sequence[Any]], language: str) -> str:
    head = "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>" if headers else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(format_number(language, c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def render_status(searcher: Any, language: str = "en") -> str:
    """The index status panel: build, model, counts by type, language and country, unread files."""
    m = searcher.manifest
    stats = searcher.statistics()
    t = lambda key, **kw: text(language, key, **kw)  # noqa: E731
    overview = _table(None, [
        (t("status_last_build"), format_datetime(language, m.built_at)),
        (t("status_model"), t("status_dimensions", model=m.model, n=m.dimension)),
        (t("status_files"), m.files), (t("status_documents"), m.documents), (t("status_chunks"), m.chunks),
        (t("status_generation"), m.generation),
    ], language)
    kinds = _table([t("kind"), t("status_files"), t("status_documents_col")],
                   [(kind_label(language, k), stats.files_by_kind.get(k, 0), n) for k, n in sorted(m.kinds.items())],
                   language)
    countries = _table([t("country"), t("status_commitments_col")],
                       [(country_name(language, c), n) for c, n in stats.commitments_by_country], language)
    langs = _table([t("language"), t("status_passages_col")],
                   [(language_name(language, c), n) for c, n in stats.chunks_by_language], language)
    out = ['<div class="jx-status" id="jx-status"><div class="jx-col">', f"<h3>{_e(t('status_index'))}</h3>",
           overview, f"<h3>{_e(t('status_by_kind'))}</h3>", kinds, f"<h3>{_e(t('status_by_language'))}</h3>", langs]
    if stats.failures:
        out += [f"<h3>{_e(t('status_failures'))}</h3>",
                _table([t("status_file_col"), t("status_reason_col")], stats.failures, language)]
    out += ['</div><div class="jx-col">', f"<h3>{_e(t('status_by_country'))}</h3>", countries, "</div></div>"]
    return "".join(out)


def compare_rows(rows: Sequence[Any], language: str = "en") -> list[list[Any]]:
    """Comparable-commitment rows as table cells; the link column is Markdown to a safe URL only.
    Rows come grouped by country: a group's first row names the country with its count ("Chile (3)"),
    the others mark it as the same group ("↳ Chile"), so the groups show and a row sorted elsewhere
    still says its country."""
    table = []
    counts: dict[str | None, int] = {}
    for r in rows:
        counts[r.country] = counts.get(r.country, 0) + 1
    previous: object = object()
    for r in rows:
        url = safe_url(r.url)
        link = f"[{text(language, 'official_page')}]({url.replace('(', '%28').replace(')', '%29')})" if url else ""
        country = country_name(language, r.country or "")
        if r.country != previous:
            country = f"{country} ({counts[r.country]})" if counts[r.country] > 1 and country else country
        elif country:
            country = f"↳ {country}"
        previous = r.country
        table.append([country, r.commitment_id, r.year if r.year is not None else None, r.title,
                      r.lead_institution or "", ", ".join(r.policy_areas),
                      value_name(language, r.irm_potential_impact or ""), value_name(language, r.irm_completion or ""),
                      link])
    return table


def compare_note(question: str, found: int | None, language: str = "en",
                 files: Sequence[tuple[str, int]] = ()) -> str:
    """The line above the comparable-commitments table: ask first, pending (``found`` None), how many, none;
    with ``files`` ((file, records) of the index's commitment files), what the comparison covers."""
    question = question.strip()
    if not question:
        note = text(language, "compare_ask_first")
    elif found is None:
        note = text(language, "compare_pending", q=question)
    elif found == 0:
        note = text(language, "compare_none", q=question)
    elif found == 1:
        note = text(language, "compare_found_one", q=question)
    else:
        note = text(language, "compare_found", n=format_number(language, found), q=question)
    if files and found is not None:
        note += " " + text(language, "compare_files", files=_commitment_sources(files, language))
    return f'<p class="jx-count">{_e(note)}</p>'


#: A folder of this many commitment files or more (a tracker's page per commitment) is named once.
_FOLDER_FILES = 3


def _commitment_sources(files: Sequence[tuple[str, int]], language: str) -> str:
    """'export.csv (558 records), _subcommitments (70 files, 70 records)': each file by its name, a
    folder of many by its own name, in the order given (most records first)."""
    folders: dict[str, list[int]] = {}
    for name, n in files:
        folders.setdefault(name.rpartition("/")[0], []).append(n)
    listed, named = [], set()
    for name, n in files:
        folder = name.rpartition("/")[0]
        if len(folders[folder]) < _FOLDER_FILES:
            listed.append(text(language, "compare_file", file=name.rsplit("/", 1)[-1], n=format_number(language, n)))
        elif folder not in named:
            named.add(folder)
            listed.append(text(language, "compare_folder", folder=folder.rsplit("/", 1)[-1],
                               files=format_number(language, len(folders[folder])),
                               n=format_number(language, sum(folders[folder]))))
    return ", ".join(listed)


#: Bar colours for the export's IRM completion values; any other value (its codes such as ND or NR,
#: or none) is grey, named in the legend as the export gives it.
_COMPLETION_COLOURS = {"Complete": "#1a7f37", "Substantial": "#4fa85e", "Limited": "#d4a72c",
                       "Not Started": "#cf222e"}
_OTHER_COLOURS = ("#8c959f", "#afb8c1", "#6e7781", "#d0d7de")


def compare_chart(rows: Sequence[Any], language: str = "en") -> str:
    """An inline SVG bar chart of the comparable commitments per country (in the table's order),
    each bar split by IRM completion as the export gives it ('' without rows)."""
    if not rows:
        return ""
    by_country: dict[str, dict[str, int]] = {}
    for r in rows:
        value = (r.irm_completion or "").strip()
        bar = by_country.setdefault(r.country or "—", {})
        bar[value] = bar.get(value, 0) + 1
    values = [v for v in _COMPLETION_COLOURS if any(v in bar for bar in by_country.values())]
    others = sorted({v for bar in by_country.values() for v in bar if v not in _COMPLETION_COLOURS})
    colours = {**_COMPLETION_COLOURS, **{v: _OTHER_COLOURS[i % len(_OTHER_COLOURS)] for i, v in enumerate(others)}}
    most = max(sum(bar.values()) for bar in by_country.values())
    label_w, bar_w, row_h, top = 190, 360, 24, 8
    height = top + row_h * len(by_country) + 4
    parts = [f'<svg class="jx-chart-svg" role="img" viewBox="0 0 {label_w + bar_w + 40} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" aria-label="{_e(text(language, "chart_title"))}">']
    for i, (country, bar) in enumerate(by_country.items()):
        y = top + i * row_h
        total = sum(bar.values())
        named = country_name(language, country) if country != "—" else country
        shown = named if len(named) <= 28 else named[:27] + "…"
        parts.append(f'<g class="jx-bar" data-country="{_e(country)}" data-count="{total}">'
                     f'<title>{_e(named)}: {_e(text(language, "chart_count", n=total))}</title>'
                     f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{_e(shown)}</text>')
        x = float(label_w)
        for value in [*values, *others]:
            n = bar.get(value, 0)
            if not n:
                continue
            width = bar_w * n / most
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{row_h - 7}" '
                         f'fill="{colours[value]}" data-completion="{_e(value)}"><title>{_e(named)}: '
                         f'{_e(value_name(language, value) or text(language, "chart_no_irm"))} ({n})</title></rect>')
            x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}">{total}</text></g>')
    parts.append("</svg>")
    legend = "".join(f'<span class="jx-key"><i style="background:{colours[v]}"></i>'
                     f'{_e(value_name(language, v) or text(language, "chart_no_irm"))}</span>'
                     for v in [*values, *others])
    return (f'<figure class="jx-chart" id="jx-compare-chart"><figcaption><strong>'
            f'{_e(text(language, "chart_title"))}</strong> <span class="jx-legend">{legend}</span>'
            f'<br><small>{_e(text(language, "irm_legend"))}</small></figcaption>{"".join(parts)}</figure>')
