"""A result card's "translate" control: the passage machine-translated into the interface language,
on request, shown below the original (which stays the quoted, cited text).

Translated on click, not for every card up front: the card's button asks
``GET /translate?chunk=ID&start=S&end=E&to=es`` (the card's whole passage, S:E of the chunk's document)
on the app's own server (same login as the corpus route), which answers JSON with the text and its
localised label, or with the install command when Apertium cannot translate here."""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from indexer.errors import UnknownLanguageError
from search.hit import Hit
from search.live import LiveSearcher
from search.retrieve import Searcher
from search.translate import INSTALL_HINT, TranslationError

from . import i18n
from .files import logged_in

__all__ = ["TRANSLATE_JS", "TRANSLATE_PATH", "TRANSLATION_CSS", "translate_button", "translation_answer", "translation_route", "with_translation"]

TRANSLATE_PATH = "/translate"


def translate_button(hit: Hit, language: str) -> str:
    """The card's "translate" button, or '' when the passage is already in the interface language."""
    if hit.language == language or language not in i18n.LANGUAGES:
        return ""
    return (f'<button type="button" class="jx-translate-btn" data-chunk="{hit.chunk_id}" '
            f'data-start="{hit.char_start}" data-end="{hit.char_end}" '
            + (f'data-through="{hit.runs_on_chunk_id}" ' if hit.runs_on_chunk_id is not None else "")
            + (f'data-part="{hit.part_with_chunk_id}" ' if hit.part_with_chunk_id is not None else "") +
            f'data-to="{html.escape(language)}" data-hide-label="{html.escape(i18n.text(language, "translate_hide"))}" '
            f'aria-expanded="false">{html.escape(i18n.text(language, "translate"))}</button>')


#: The most of a document one translation covers: a card's passage, which may join a few neighbouring
#: chunks of its page, is far shorter.
_MOST_CHARS = 20_000


def _card_text(searcher: Searcher, stored, start: str | None, end: str | None, through: str | None = None,
               part: str | None = None) -> str:
    """The text a card quotes: the span ``start:end`` of the chunk's document when it holds the chunk's
    start (a card's passage may join several chunks), else the chunk's own text; followed by the
    passage ``through`` when it is the next one, on the next page (a passage that runs on to it); with
    the passage ``part`` before or after it, in the file's order, when the card shows that other part of
    the file too (search.places: one card for one citation)."""
    text = stored.text
    try:
        first, last = int(start or ""), int(end or "")
    except ValueError:
        first = last = -1
    if 0 <= first <= stored.char_start < last and last - first <= _MOST_CHARS:
        text = searcher.reader.document_span(stored.document_id, first, last) or stored.text
    following_id = stored.id + 1 if through and through == str(stored.id + 1) else None
    part_id = int(part) if part and part.isdigit() and int(part) != stored.id else None
    wanted = [cid for cid in (following_id, part_id) if cid is not None]
    # one read for both; a passage of another file is never added
    read = {cid: chunk for cid, chunk in searcher.reader.chunks_by_id(wanted).items()
            if chunk.provenance.source == stored.provenance.source} if wanted else {}
    if following_id in read:
        text = f"{text}\n{read[following_id].text}"
    if part_id in read:
        other = read[part_id].text
        text = f"{other}\n\n{text}" if part_id < stored.id else f"{text}\n\n{other}"
    return text


def translation_answer(searcher: Searcher, chunk: str | None, target: str | None, start: str | None = None,
                       end: str | None = None, text: str | None = None, through: str | None = None,
                       part: str | None = None) -> tuple[dict, int]:
    """``({"text", "label", "source", "target"}, 200)``, or ``({"error", "install"?}, status)``.

    What is translated: ``text`` when given (a pinned quotation), else the span ``start:end`` of the
    chunk's document (the card's whole passage, with ``through``, the next page's first passage, when
    it runs on to it, and ``part``, the other part of the file the card shows), else the chunk."""
    if target not in i18n.LANGUAGES:
        return {"error": f"to must be one of {', '.join(i18n.LANGUAGES)}"}, 400
    try:
        chunk_id = int(chunk or "")
    except ValueError:
        return {"error": "chunk must be a passage number"}, 400
    stored = searcher.reader.chunks_by_id([chunk_id]).get(chunk_id)
    if stored is None:
        return {"error": f"no passage {chunk_id} in this index"}, 404
    passage = replace(stored, text=text if text and text.strip() else _card_text(searcher, stored, start, end, through, part))
    try:
        # A stored chunk carries what Searcher.translate reads of a hit: text, language, provenance.
        translation = searcher.translate(passage, target)  # type: ignore[arg-type]
    except UnknownLanguageError:  # not the engine's fault: a heading or a list too short to tell
        return {"error": i18n.text(target, "translate_unknown_language")}, 422
    except TranslationError:
        return {"error": i18n.text(target, "translate_unavailable"), "install": INSTALL_HINT}, 503
    if translation.via:
        name = i18n.language_name(target, translation.via)
        label = i18n.text(target, "machine_translation_via", path=translation.path, engine=translation.engine,
                          via=name if target == "en" else name.lower())
    else:
        label = i18n.text(target, "machine_translation", path=translation.path, engine=translation.engine)
    return {"text": translation.text, "label": label, "source": translation.source,
            "target": translation.target, "path": translation.path, "engine": translation.engine}, 200


def with_translation(searcher: Searcher, pin: dict, target: str) -> dict:
    """``pin`` (a result as Pin.to_dict) with the machine translation the reader opened into ``target``,
    for the briefing note's line below the quotation; ``pin`` unchanged when it cannot be translated."""
    answer, status = translation_answer(searcher, str(pin.get("chunk_id")), target, text=pin.get("text"))
    if status != 200 or answer["source"] == answer["target"]:
        return pin
    # The note's label names the route; the card's explanation of a route through Spanish is for the screen.
    label = i18n.text(target, "machine_translation", path=answer["path"], engine=answer["engine"])
    return {**pin, "translation": answer["text"], "translation_label": label}


def translation_route(searcher: Searcher | LiveSearcher) -> Route:
    """``GET /translate?chunk=ID&to=LANG`` for an app over ``searcher``, behind the app's login."""
    live = LiveSearcher.of(searcher)

    def answer_of(chunk: str | None, target: str | None, start: str | None, end: str | None,
                  through: str | None, part: str | None) -> tuple[dict, int]:
        with live.use() as current:  # the passage and its translation from one generation
            return translation_answer(current, chunk, target, start, end, through=through, part=part)

    async def serve(request: Request) -> JSONResponse:
        if not await logged_in(request):
            return JSONResponse({"error": "log in to the app first"}, status_code=401)
        # Apertium answers in a worker thread so the server keeps serving while it translates.
        args = request.query_params
        answer, status = await asyncio.to_thread(answer_of, args.get("chunk"), args.get("to"), args.get("start"),
                                                 args.get("end"), args.get("through"), args.get("part"))
        return JSONResponse(answer, status_code=status)

    return Route(TRANSLATE_PATH, serve, methods=["GET"], name="translate")


# One listener on the results container: a card's "translate" button fetches the translation once
# and shows it below the passage; a second click hides or shows it again, the button saying which it
# will do. The URL is relative so it resolves against Gradio's <base href> (the app may be served
# under a prefix).
TRANSLATE_JS = """
element.addEventListener('click', async (event) => {
  const button = event.target.closest('button.jx-translate-btn');
  if (!button) return;
  const card = button.closest('article.jx-hit');
  const shown = (open) => {
    if (!button.dataset.showLabel) button.dataset.showLabel = button.textContent;
    button.textContent = open ? button.dataset.hideLabel : button.dataset.showLabel;
    button.setAttribute('aria-expanded', String(open));
  };
  let block = card.querySelector('.jx-translation');
  if (block) { block.hidden = !block.hidden; shown(!block.hidden); return; }
  button.disabled = true;
  block = document.createElement('div');
  block.className = 'jx-translation';
  block.setAttribute('lang', button.dataset.to);
  try {
    const url = new URL('translate', document.baseURI);
    url.searchParams.set('chunk', button.dataset.chunk);
    url.searchParams.set('start', button.dataset.start);
    url.searchParams.set('end', button.dataset.end);
    if (button.dataset.through) url.searchParams.set('through', button.dataset.through);
    if (button.dataset.part) url.searchParams.set('part', button.dataset.part);
    url.searchParams.set('to', button.dataset.to);
    const answer = await (await fetch(url, {credentials: 'same-origin'})).json();
    const label = document.createElement('div');
    label.className = 'jx-translation-label';
    const body = document.createElement('p');
    if (answer.text !== undefined) {
      label.textContent = answer.label;
      body.textContent = answer.text;
    } else {
      block.classList.add('jx-translation-missing');
      label.textContent = answer.error;
      if (answer.install) { const code = document.createElement('code'); code.textContent = answer.install;
                            body.appendChild(code); }
    }
    block.append(label, body);
  } catch (error) {
    block.textContent = String(error);
  }
  card.querySelector('blockquote.jx-passage').after(block);
  shown(true);
  button.disabled = false;
});
"""

TRANSLATION_CSS = """
.jx-translation { margin: 4px 0 8px 0; padding: 6px 10px; border-left: 4px dashed #b26a00;
  background: rgba(255, 170, 0, 0.08); font-style: italic; }
.jx-translation-label { font-size: 0.85em; font-style: normal; font-weight: 600; color: #8a5200; }
.jx-translation p { margin: 4px 0 0 0; white-space: pre-line; }
.jx-translate-btn { border: 1px solid var(--button-secondary-border-color); border-radius: 6px; padding: 2px 10px;
  background: var(--button-secondary-background-fill); cursor: pointer; font-size: 0.9em; font-weight: normal; }
.jx-translate-btn:disabled { cursor: progress; opacity: 0.65; }
"""
