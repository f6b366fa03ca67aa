"""Answer questions about justice policy with ranked, cited passages.

>>> from search import Searcher, Filters
>>> searcher = Searcher("index")
>>> for hit in searcher.search("free legal aid", k=5, filters=Filters(kind=("commitment",))):
...     print(hit.citation, hit.link)
"""

from __future__ import annotations

from .briefing import Pin, briefing_docx, briefing_markdown
from .answer import SummarySentence, best_sentence, extractive_summary
from .compare import CommitmentRow, compare
from .evaluate import evaluate, load_gold
from .filters import Filters, parse_year_range
from .live import LiveSearcher
from .retrieve import Hit, Searcher

__all__ = [
    "Searcher",
    "LiveSearcher",
    "Hit",
    "Filters",
    "parse_year_range",
    "compare",
    "CommitmentRow",
    "best_sentence",
    "extractive_summary",
    "SummarySentence",
    "evaluate",
    "load_gold",
    "Pin",
    "briefing_markdown",
    "briefing_docx",
]
