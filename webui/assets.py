"""The page's style sheet and the small scripts its HTML blocks run (static text)."""

from __future__ import annotations

import json

from .i18n import LANGUAGES
from .params import url_keys

__all__ = ["CSS", "PIN_JS", "CITATION_JS", "UPDATE_URL_JS", "UI_URL_JS", "UI_ON_OPEN_JS", "PAGE_TITLE_JS", "search_language_js"]

CSS = """
/* Secondary text (details, counts, "also in"): Gradio's own subdued grey is about 1.9:1 on white,
   below the 4.5:1 that WCAG asks of small text; these greys give about 7:1 in either mode. */
:root { --jx-subdued: #4b5563; }
.dark { --jx-subdued: #c7c9d1; }
.jx-hit { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 12px 14px;
          margin: 0 0 12px 0; background: var(--background-fill-primary); }
.jx-hit header { display: flex; gap: 10px; align-items: baseline; }
.jx-rank { font-weight: 700; min-width: 1.6em; color: var(--jx-subdued); }
.jx-cite { font-weight: 600; }
.jx-meta { font-size: 0.85em; color: var(--jx-subdued); margin: 4px 0 6px 0; }
.jx-passage { white-space: pre-wrap; margin: 6px 0; padding: 6px 10px;
              border-left: 3px solid var(--color-accent); }
.jx-passage mark, .jx-doc mark { background: #fff2a8; color: inherit; padding: 0 1px; }
.jx-links { display: flex; gap: 14px; align-items: center; }
.jx-pin-btn { border: 1px solid var(--button-secondary-border-color); border-radius: 6px; padding: 2px 10px;
              background: var(--button-secondary-background-fill); cursor: pointer; font-size: 0.9em; }
.jx-pin-btn:disabled { cursor: default; opacity: 0.65; }
.jx-also { font-size: 0.85em; color: var(--jx-subdued); }
.jx-source summary { cursor: pointer; font-size: 0.9em; margin-top: 6px; }
.jx-doc { white-space: pre-wrap; font-size: 0.9em; max-height: 420px; overflow: auto; padding: 8px;
          background: var(--background-fill-secondary); border-radius: 6px; }
.jx-doc .jx-here { background: #e6f0ff; }
.jx-answer { border: 1px solid var(--color-accent); border-radius: 8px; padding: 10px 14px; margin-bottom: 12px; }
.jx-answer.jx-none { border-color: var(--border-color-primary); color: var(--jx-subdued); }
.jx-answer ol, .jx-basket ol { margin: 4px 0 0 1.2em; }
.jx-answer li, .jx-basket li { margin-bottom: 6px; }
.jx-count { color: var(--jx-subdued); font-size: 0.9em; margin-bottom: 8px; }
.jx-notice { color: #a15c00; }
/* On a phone the comparable-commitments table keeps readable columns and scrolls sideways,
   instead of squeezing nine columns into 320 px (one letter a line). */
@media (max-width: 720px) { #jx-tab-compare { overflow-x: auto; } #jx-compare { min-width: 760px !important; } }
/* The comparable-commitments chart (an inline SVG from webui.render.compare_chart). */
.jx-chart { margin: 4px 0 12px 0; max-width: 640px; }
.jx-chart figcaption { margin-bottom: 4px; }
.jx-chart small { color: var(--jx-subdued); }
.jx-chart-svg text { font-size: 12px; fill: var(--body-text-color); }
.jx-legend { display: inline-flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.85em; margin-left: 8px; }
.jx-key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.jx-status { display: flex; flex-wrap: wrap; gap: 40px; }
.jx-status h3 { margin: 8px 0 6px 0; }
.jx-status table { border-collapse: collapse; margin-bottom: 12px; }
.jx-status td, .jx-status th { border: 1px solid var(--border-color-primary); padding: 3px 8px; text-align: left; }
"""

# Each result card has a "Pin" button; one listener on the results container sends its number.
PIN_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.jx-pin-btn');
  if (!button || button.disabled) return;
  button.disabled = true;
  button.textContent = button.dataset.pinnedLabel || 'Pinned \u2713';
  // A passage pinned while its machine translation is open takes the translation into the note.
  const translation = button.closest('article.jx-hit')?.querySelector('.jx-translation:not(.jx-translation-missing)');
  trigger('click', {rank: Number(button.dataset.rank), translated: Boolean(translation && !translation.hidden)});
});
"""

# A citation number in the answer scrolls to its result card. A plain "#result-2" link would not:
# Gradio's <base href> turns it into a jump to the app's front page, losing the search and basket.
CITATION_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.jx-ref');
  if (!link) return;
  event.preventDefault();
  const card = document.getElementById(link.getAttribute('href').slice(1));
  if (card) { card.scrollIntoView({behavior: 'smooth', block: 'start'}); card.focus({preventScroll: true}); }
});
"""

# After a search, put the question and filters in the page address (no reload) so it can be shared;
# other parameters (e.g. Gradio's __theme) are kept.
UPDATE_URL_JS = """
(qs) => {
  if (!qs) return [];
  const url = new URL(window.location.href);
  const keep = new URLSearchParams(url.search);
  for (const key of %s) keep.delete(key);
  const next = qs === "q=" ? new URLSearchParams() : new URLSearchParams(qs);
  for (const [key, value] of keep) next.append(key, value);
  url.search = next.toString();
  url.hash = "";
  window.history.replaceState(window.history.state, "", url.toString());
  return [];
}
""".replace("%s", json.dumps(url_keys()))

# The interface language chosen in the selector goes into the address as ?ui=, so a reload or a
# shared link keeps it.
UI_URL_JS = """
(lang) => {
  document.documentElement.lang = lang;  // for screen readers and hyphenation (Gradio sets the browser's)
  const url = new URL(window.location.href);
  if (url.searchParams.get("ui") !== lang) {
    url.searchParams.set("ui", lang);
    window.history.replaceState(window.history.state, "", url.toString());
  }
  return [];
}
"""

# The interface language, set in the browser as the page opens: from ?ui=, else the browser's own
# languages (the order its Accept-Language header sends them in), else left as it is. The server's load
# event chooses the same language (i18n.choose_language), but its answer arrives after a round trip: a
# question asked in that moment was answered in English, then again in the address's language.
_CHOSEN_LANGUAGE_JS = """
const jxChosenLanguage = (current) => {
  const speaks = %s;
  const asked = (new URLSearchParams(window.location.search).get("ui") || "").trim().toLowerCase().slice(0, 2);
  if (speaks.includes(asked)) return asked;
  for (const tag of navigator.languages || []) {
    const code = tag.trim().toLowerCase().slice(0, 2);
    if (speaks.includes(code)) return code;
  }
  return current;
};
""".replace("%s", json.dumps(list(LANGUAGES)))

UI_ON_OPEN_JS = """
(current) => {
  %s
  const lang = jxChosenLanguage(current);
  document.documentElement.lang = lang;  // the page's language, not the browser's, for screen readers
  window.jxLanguageSet = true;
  return lang;
}
""".replace("%s", _CHOSEN_LANGUAGE_JS)


def search_language_js(at: int) -> str:
    """The search events' inputs with the interface language (input ``at``) chosen in the browser when
    the page's own choice has not reached the selector yet: on a busy server a question asked as the
    page opened ran in English beside the rerun in the reader's language, and whichever ended last won."""
    return """
(...inputs) => {
  %s
  if (!window.jxLanguageSet) inputs[%d] = jxChosenLanguage(inputs[%d]);
  return inputs;
}
""" % (_CHOSEN_LANGUAGE_JS, at, at)

# The browser tab's title in the interface language (the server writes <title> once, in English).
PAGE_TITLE_JS = """
(title) => {
  if (title) document.title = title;
  return [];
}
"""
