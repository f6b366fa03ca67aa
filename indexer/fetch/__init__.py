"""Fetch the official sources listed in ``corpus/sources.toml`` into ``corpus/fetched/``.

Each source is a URL with a kind (see ``KINDS``). ``fetch_sources`` downloads every source into
``corpus/fetched/<kind>/<stable-name>`` and writes the sidecar ``<file>.source.json`` that the
loaders already read, so citations of a fetched document link to its official address (and, for a
PDF, to its page: the search appends ``#page=N`` to a report's ``url``).

What a fetch does, per kind:

* ``report``: a publication's landing page. The page is read for its PDF link (a link ending in
  ``.pdf``, else a download link), relative links resolved, and the PDF is saved as
  ``<slug>.pdf``. The sidecar's ``url`` is **the PDF's URL**, so ``#page=N`` opens the cited page;
  the landing page is kept as ``landing_page``. The landing page's title names the document.
* ``pdf``: a PDF saved as is.
* ``guide``, ``policy``, ``page``: an HTML page (Open Gov Guide chapter, policy-area page, story,
  glossary entry...) saved as ``<slug>.html``; the HTML loader keeps its main text and headings.
  (Should such a URL answer with a PDF, the PDF is saved instead.)
* ``commitment``: an OGP commitment page, parsed with the standard library's HTML parser into a
  **one-row CSV** with the official OGP export's column names (``<ID>.csv``), so the commitments
  loader indexes it unchanged. The parser is tolerant: it reads "Label: value" lines, ``dt/dd``
  and ``th/td`` pairs, label elements followed by their value, and a "Policy Areas" list.
* ``commitments-csv``: the OGP commitments export, saved as is. Its rows carry their own URLs, so
  its sidecar names no ``url`` (which would override every row's).

Politeness and safety: an honest ``User-Agent``; a minimum interval between two requests to one
host; a time-out per request and a limit on a whole download; a size cap (the body is streamed and
the download stops at the cap); retries with exponential back-off on 5xx, 429, time-outs and
connection errors (never on other 4xx). Bookkeeping (``fetched_at``, ``etag``, ``last_modified``,
``sha256``) lives in the sidecar, so the next fetch sends ``If-None-Match`` / ``If-Modified-Since``:
a 304, or a 200 whose body has the same SHA-256, leaves the file untouched (not even rewritten), so
the index build sees no change. Every file is written to a hidden temporary file and moved into
place with ``os.replace``: a failed or interrupted download never harms the copy already held, and
a source that fails is reported and never deleted.

When each source was last checked is kept in ``corpus/fetched/.fetch-log.json`` (hidden, never
indexed), not in the sidecar, so a check that finds nothing new writes nothing beside the document.

HTTP is done with httpx (well kept, already installed as a dependency of gradio).

The package is apart from the build: ``indexer.build`` never imports it. Its modules, by job:
``sources`` (the manifest), ``http`` (the downloader), ``pages`` (page scrapers), ``files`` (saving
into the corpus), ``kinds`` (one handler per kind of source) and ``commands`` (the verbs the
command line calls).
"""

from __future__ import annotations

from ..errors import FetchError, SourcesError
from .commands import AddResult, FetchReport, add_document, fetch_sources, guess_kind
from .http import USER_AGENT
from .pages import commitment_csv, find_pdf_link, parse_commitment_page
from .sources import ADDED_DIR, FETCHED_DIR, KINDS, Source, load_sources

__all__ = [
    "KINDS",
    "Source",
    "FetchReport",
    "AddResult",
    "SourcesError",
    "FetchError",
    "load_sources",
    "fetch_sources",
    "add_document",
    "guess_kind",
    "find_pdf_link",
    "parse_commitment_page",
    "commitment_csv",
    "USER_AGENT",
    "FETCHED_DIR",
    "ADDED_DIR",
]
