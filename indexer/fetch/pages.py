"""Page scrapers: what a landing page, a web page and an OGP commitment page say (links, title,
language, commitment fields), read with the standard library's HTML parser; and the one-row
commitments CSV a commitment page becomes."""

from __future__ import annotations

import contextlib
import csv
import io
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from ..loaders.commitments_csv import ID_COLUMN, POLICY_AREA_COLUMNS

class _PageParser(HTMLParser):
    """Links, title, first h1, language, canonical link and a few meta tags of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, dict[str, str]]] = []  # (href, text, attrs)
        self.embeds: list[str] = []
        self.title = ""
        self.h1 = ""
        self.lang: str | None = None
        self.meta: dict[str, str] = {}
        self._anchor: tuple[str, dict[str, str]] | None = None
        self._anchor_text: list[str] = []
        self._in: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = {k.lower(): (v or "") for k, v in attrs_list}
        if tag == "html" and attrs.get("lang"):
            self.lang = attrs["lang"]
        elif tag == "meta":
            key = (attrs.get("property") or attrs.get("name") or "").lower()
            if key and attrs.get("content"):
                self.meta.setdefault(key, attrs["content"])
        elif tag == "link" and "canonical" in attrs.get("rel", "").lower().split():
            self.meta.setdefault("canonical", attrs.get("href", ""))
        elif tag == "a" and attrs.get("href"):
            self._anchor, self._anchor_text = (attrs["href"], attrs), []
        elif tag in ("iframe", "embed") and attrs.get("src"):
            self.embeds.append(attrs["src"])
        elif tag == "object" and attrs.get("data"):
            self.embeds.append(attrs["data"])
        elif tag in ("title", "h1") and self._in is None:
            self._in = tag
        elif tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._anchor:
            href, attrs = self._anchor
            self.links.append((href, re.sub(r"\s+", " ", "".join(self._anchor_text)).strip(), attrs))
            self._anchor = None
        elif tag == self._in:
            self._in = None
        elif tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._anchor is not None:
            self._anchor_text.append(data)
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


def _parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    with contextlib.suppress(Exception):  # a broken page still yields what was read
        parser.feed(html)
        parser.close()
    return parser


_SITE_SUFFIX = re.compile(r"\s*[|\-–—]\s*(Open Government Partnership|OGP)\s*$", re.I)


def _clean_title(text: str) -> str | None:
    text = _SITE_SUFFIX.sub("", re.sub(r"\s+", " ", text or "")).strip()
    return text or None


def _page_facts(page: _PageParser) -> dict[str, Any]:
    """title, language, year a page declares (for the sidecar), when it declares them."""
    facts: dict[str, Any] = {}
    title = _clean_title(page.meta.get("og:title", "")) or _clean_title(page.h1) or _clean_title(page.title)
    if title:
        facts["title"] = title
    if page.lang:
        facts["language"] = page.lang.split("-")[0].lower()
    published = page.meta.get("article:published_time") or page.meta.get("citation_publication_date") or ""
    match = re.match(r"(\d{4})", published)
    if match:
        facts["year"] = int(match.group(1))
    return facts


_NOT_PDF = re.compile(r"\.(docx?|xlsx?|pptx?|zip|csv|odt|ods|epub|jpe?g|png|gif|mp[34])$", re.I)


def find_pdf_link(html: str, base_url: str, hint: str = "") -> str | None:
    """The absolute URL of the PDF a landing page offers, or None.

    Candidates are links ending in ``.pdf`` and download links (``download`` attribute, or
    "download" in the link's text or class), plus embedded PDFs. A ``.pdf`` link scores
    highest, then a download link; words shared with ``hint`` (e.g. the page's slug) break ties,
    then document order.
    """
    page = _parse_page(html)
    hint_words = set(re.findall(r"[a-z0-9]+", hint.lower())) - {"pdf", "the", "of", "and", "part"}
    best: tuple[float, int, str] | None = None
    candidates = [(h, t, a) for h, t, a in page.links] + [(src, "", {}) for src in page.embeds]
    for position, (href, text, attrs) in enumerate(candidates):
        href = href.strip()
        if href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        path = unquote(urlsplit(url).path)
        is_pdf = path.lower().endswith(".pdf") or "pdf" in attrs.get("type", "").lower()
        described = f"{text} {attrs.get('class', '')} {attrs.get('title', '')} {attrs.get('aria-label', '')}".lower()
        is_download = "download" in attrs or "download" in described or "descargar" in described
        if not (is_pdf or is_download) or (not is_pdf and _NOT_PDF.search(path)):
            continue
        shared = len(hint_words & set(re.findall(r"[a-z0-9]+", path.lower())))
        score = 4 * is_pdf + 2 * is_download + min(shared, 10) / 10
        if best is None or score > best[0]:
            best = (score, position, url.split("#")[0])
    return best[2] if best else None


# --------------------------------------------------------------------------------------------
# Commitment pages

_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table", "section", "article",
               "main", "blockquote", "br", "hr", "header", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5",
               "h6", "aside", "details", "summary"}
_LABEL_TAGS = {"strong", "b", "label", "dt", "th"}  # their text may be a field label: its own segment
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "footer", "form", "button", "iframe",
              "select", "head"}
_VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}

#: Label on the page (lower case, no colon) -> field.
_LABELS = {
    "commitment id": "id", "commitment unique identifier": "id", "commitment code": "id",
    "country": "country", "member": "country", "country/locality": "country", "locality": "country",
    "region": "region",
    "action plan": "action_plan", "action plan number": "action_plan", "action plan cycle": "cycle",
    "commitment number": "number",
    "status": "status", "commitment status": "status",
    "lead institution": "lead", "lead institutions": "lead", "lead institution(s)": "lead",
    "lead agency": "lead", "lead implementing agency": "lead",
    "support institution": "support", "support institutions": "support", "support institution(s)": "support",
    "supporting institution": "support", "supporting institutions": "support",
    "supporting institution(s)": "support", "other actors involved": "support",
    "policy areas": "policy_areas", "policy area": "policy_areas", "primary policy area": "policy_areas",
    "irm report": "irm_report", "latest irm report": "irm_report",
    "verifiable": "verifiable", "specificity": "specificity",
    "potential impact": "potential_impact", "potential for results": "potential_for_results",
    "completion": "completion", "completion (end of term)": "completion",
    "completion (progress report)": "completion_midterm", "completion (midterm)": "completion_midterm",
    "early results": "early_results", "did it open government": "diog", "did it open government?": "diog",
    "starred": "starred", "star": "starred",
    "start date": "start_date", "end date": "end_date", "theme": "theme",
    "description": "description", "commitment description": "description", "full text": "description",
    "commitment text": "description",
}
_LIST_FIELDS = {"policy_areas"}


def _norm_label(text: str) -> str:
    text = re.sub(r"\(see definition\)|\s+i$", "", text.strip().lower().rstrip(":").strip())
    return re.sub(r"\s+", " ", text).strip()


class _SegmentParser(HTMLParser):
    """The page's visible text as segments: (block number, heading level or 0, in a list item, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[tuple[int, int, bool, str]] = []
        self._buffer: list[str] = []
        self._block = 0
        self._heading = 0
        self._li = 0
        self._skip = 0

    def _flush(self, new_block: bool) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        self._buffer = []
        if text:
            self.segments.append((self._block, self._heading, self._li > 0, text))
        if new_block:
            self._block += 1

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "body":  # a page whose </head> is missing must not stay hidden
            self._skip = 0
        if tag in _VOID_TAGS:
            if tag in _BLOCK_TAGS:
                self._flush(True)
            return
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if tag in _BLOCK_TAGS or tag in _LABEL_TAGS:
            self._flush(tag in _BLOCK_TAGS)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = int(tag[1])
        if tag == "li":
            self._li += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK_TAGS or tag in _LABEL_TAGS:
            self._flush(tag in _BLOCK_TAGS)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = 0
        if tag == "li":
            self._li = max(0, self._li - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush(True)


def _split_label(text: str) -> tuple[str | None, str]:
    """('lead', 'Ministry of Justice') for 'Lead Institution: Ministry of Justice'; (None, text) otherwise."""
    match = re.match(r"^([^:]{1,60}?)\s*:\s*(.*)$", text, re.S)
    if match and _norm_label(match.group(1)) in _LABELS:
        return _LABELS[_norm_label(match.group(1))], match.group(2).strip()
    if len(text) <= 60 and _norm_label(text) in _LABELS:
        return _LABELS[_norm_label(text)], ""
    return None, text


def parse_commitment_page(html: str, url: str = "") -> dict[str, Any]:
    """The fields an OGP commitment page shows, as a dict (missing fields are absent).

    Keys: id, title, country, action_plan, cycle, status, lead, support, policy_areas (list),
    irm_report, verifiable, potential_impact, completion, completion_midterm, early_results, diog,
    description, and a few more. Real pages differ in markup; this reads text segments, so
    "Label: value", a label element followed by its value, ``dt/dd``, ``th/td`` and a labelled list
    all work. The id falls back to "(MK0164)" in the heading or title, then to the URL.
    """
    page = _parse_page(html)
    parser = _SegmentParser()
    with contextlib.suppress(Exception):
        parser.feed(html)
        parser.close()
    segments = parser.segments
    fields: dict[str, Any] = {}
    i = 0
    while i < len(segments):
        block, level, in_li, text = segments[i]
        key, value = _split_label(text)
        i += 1
        if key is None or (key in fields and key != "description"):
            continue
        if key == "description":
            if "description" in fields:
                continue
            parts: list[tuple[int, str]] = [(block, value)] if value else []
            stop_level = level or 99
            while i < len(segments):
                b, lv, _, t = segments[i]
                if lv and lv <= stop_level:
                    break
                if not lv and _split_label(t)[0] not in (None, "description") and not parts:
                    break
                parts.append((b, t))
                i += 1
            fields["description"] = _join_segments(parts)
            continue
        if key in _LIST_FIELDS:
            items = _split_list(value)
            while not value and i < len(segments):
                _, lv, li, t = segments[i]
                if lv or _split_label(t)[0] is not None or len(t) > 200 or (items and not li):
                    break
                items.extend([t.strip()] if li else _split_list(t))
                i += 1
                if not li:  # one paragraph holds the whole list
                    break
            if items:
                fields[key] = list(dict.fromkeys(items))
            continue
        if not value and i < len(segments):
            _, lv, _, t = segments[i]
            if not lv and _split_label(t)[0] is None:
                value = t.lstrip(":").strip()
                i += 1
        if value:
            fields[key] = value

    heading = page.h1 or page.meta.get("og:title", "") or page.title
    heading = _clean_title(heading) or ""
    id_match = re.search(r"\(\s*([A-Z]{2,}[A-Z0-9]*\d{2,}[A-Za-z]?)\s*\)\s*$", heading)
    if "id" not in fields:
        if id_match:
            fields["id"] = id_match.group(1)
        else:
            url_match = re.search(r"/commitments?/([A-Za-z0-9_-]+)", urlsplit(url).path)
            if url_match:
                fields["id"] = url_match.group(1).upper()
    title = re.sub(r"\s*\(\s*[A-Z]{2,}[A-Z0-9]*\d{2,}[A-Za-z]?\s*\)\s*$", "", heading).strip()
    if title:
        fields["title"] = title
    if "description" not in fields:
        meta = page.meta.get("og:description") or page.meta.get("description")
        if meta:
            fields["description"] = meta.strip()
    if "country" not in fields:
        match = re.search(r"/members/([a-z0-9-]+)/", urlsplit(url).path)
        if match:
            fields["country"] = " ".join(w.capitalize() for w in match.group(1).split("-"))
    if page.lang:
        fields["language"] = page.lang.split("-")[0].lower()
    return fields


def _split_list(text: str) -> list[str]:
    return [v.strip() for v in re.split(r"[,;|]", text.lstrip(":")) if v.strip()]


def _join_segments(parts: list[tuple[int, str]]) -> str:
    out: list[str] = []
    last_block = None
    for block, text in parts:
        if out and block == last_block:
            out[-1] += " " + text
        else:
            out.append(text)
        last_block = block
    return "\n\n".join(out).strip()


#: Columns of the one-row CSV, named and ordered as in the official OGP commitments export.
#: ``Status`` and ``Policy Areas`` are not export columns: they keep what the page shows.
COMMITMENT_COLUMNS = (
    ID_COLUMN, "Country/Locality", "Action Plan Number", "Commitment Number", "Region",
    "Year Of Submission", "Action Plan End Year", "Theme", "Commitment Title", "Full Text",
    "Start Date", "End Date", "Lead Institution", "Supporting Institution(s)",
    *POLICY_AREA_COLUMNS,
    "Specificity", "Verifiable", "Potential Impact", "Completion (Progress Report)", "Potential for Results",
    "Completion (End Of Term)", "Early Results", "Did It Open Government (Overall)",
    "Starred (Current Formula) End of Term", "Latest IRM Report", "URL", "Status", "Policy Areas",
)


def commitment_csv(fields: dict[str, Any], url: str, country: str | None = None) -> bytes:
    """A one-row OGP-export CSV (UTF-8) for the fields ``parse_commitment_page`` found."""
    row = dict.fromkeys(COMMITMENT_COLUMNS, "")
    areas = fields.get("policy_areas", [])
    by_name = {c.lower(): c for c in POLICY_AREA_COLUMNS}
    for column in POLICY_AREA_COLUMNS:
        row[column] = "0"
    for area in areas:
        column = by_name.get(area.lower()) or by_name.get(area.lower().replace(" and ", " & "))
        if column:
            row[column] = "1"
    plan = fields.get("action_plan", "")
    years = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", plan)
    cycle = re.search(r"(?:19|20)\d{2}", fields.get("cycle", ""))
    completion_column = "Completion (End Of Term)"
    if re.search(r"progress|mid-?term|implementation report", fields.get("irm_report", ""), re.I):
        completion_column = "Completion (Progress Report)"
    row.update({
        ID_COLUMN: fields.get("id", ""),
        "Country/Locality": fields.get("country") or country or "",
        "Action Plan Number": plan,
        "Commitment Number": fields.get("number", ""),
        "Region": fields.get("region", ""),
        "Year Of Submission": cycle.group() if cycle else (years[0] if years else ""),
        "Action Plan End Year": years[-1] if len(years) > 1 else "",
        "Theme": fields.get("theme", ""),
        "Commitment Title": fields.get("title", ""),
        "Full Text": fields.get("description", ""),
        "Start Date": fields.get("start_date", ""),
        "End Date": fields.get("end_date", ""),
        "Lead Institution": fields.get("lead", ""),
        "Supporting Institution(s)": fields.get("support", ""),
        "Specificity": fields.get("specificity", ""),
        "Verifiable": fields.get("verifiable", ""),
        "Potential Impact": fields.get("potential_impact", ""),
        "Potential for Results": fields.get("potential_for_results", ""),
        "Early Results": fields.get("early_results", ""),
        "Did It Open Government (Overall)": fields.get("diog", ""),
        "Starred (Current Formula) End of Term": fields.get("starred", ""),
        "Latest IRM Report": fields.get("irm_report", ""),
        "URL": url,
        "Status": fields.get("status", ""),
        "Policy Areas": "; ".join(areas),
    })
    if fields.get("completion"):
        row[completion_column] = fields["completion"]
    if fields.get("completion_midterm"):
        row["Completion (Progress Report)"] = fields["completion_midterm"]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COMMITMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode("utf-8")
