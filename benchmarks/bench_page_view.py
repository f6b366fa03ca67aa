"""How often the page view finds a PDF hit's passage on its page, and how long marking and rendering take.

For the first N questions of a gold set, the top 10 results' distinct PDF passages are looked up on
their page as the page view does (webui.pageview.passage_boxes); pages without a text layer (read by
OCR) are counted apart. Then page 3 of up to 20 of the corpus's PDFs is rendered, cold and cached.

    python benchmarks/bench_page_view.py --index /work/data/idx-before-real --corpus ../shared/corpus-real \
        --questions ../shared/eval/dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2  # noqa: E402

from indexer.settings import Settings  # noqa: E402
from search import Searcher  # noqa: E402
from webui.pageview import PageCache, _key, passage_boxes  # noqa: E402


def marking(index: Path, corpus: Path, questions: Path, count: int) -> str:
    searcher = Searcher(index, Settings(index_dir=index, corpus_dir=corpus))
    seen, marked, whole, scans, missing, spent = set(), 0, 0, 0, [], 0.0
    for line in questions.read_text(encoding="utf-8").splitlines()[:count]:
        for hit in searcher.search(json.loads(line)["q"], 10):
            p = hit.provenance
            if not hit.page_view or (p.source, p.page, hit.char_start) in seen:
                continue
            seen.add((p.source, p.page, hit.char_start))
            passage = searcher.document_text(hit.document_id)[hit.char_start:hit.char_end]
            pdf = pypdfium2.PdfDocument(str(corpus / p.source))
            page = pdf[p.page - 1]
            textpage = page.get_textpage()
            page_text = textpage.get_text_range()
            textpage.close()
            if not page_text.strip():
                scans += 1
            else:
                started = time.perf_counter()
                boxes = passage_boxes(page, passage)
                spent += time.perf_counter() - started
                marked += bool(boxes)
                whole += _key(page_text)[0].find(_key(passage)[0]) >= 0
                if not boxes:
                    missing.append(f"{p.source} p. {p.page}")
            pdf.close()
    searcher.close()
    text_pages = len(seen) - scans
    return (f"{len(seen)} distinct PDF passages ({scans} on pages read by OCR, not measured); marked "
            f"{marked}/{text_pages}, found as one run {whole}/{text_pages}; marking "
            f"{1000 * spent / max(text_pages, 1):.1f} ms a page; not marked: {missing[:5]}")


def rendering(corpus: Path) -> str:
    cache = PageCache(Path(tempfile.mkdtemp()))
    cold, warm = [], []
    for path in sorted(corpus.rglob("*.pdf"))[:20]:
        pdf = pypdfium2.PdfDocument(str(path))
        number = min(3, len(pdf))
        page = pdf[number - 1]
        for times in (cold, warm):
            started = time.perf_counter()
            cache.png(path, page, number, 1.5 * 96 / 72)
            times.append(time.perf_counter() - started)
        pdf.close()
    ms = lambda values: f"median {1000 * statistics.median(values):.0f} ms, max {1000 * max(values):.0f} ms"  # noqa: E731
    return f"rendering page 3 of {len(cold)} PDFs at 150%: cold {ms(cold)}; cached {ms(warm)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--questions", type=Path)
    parser.add_argument("--count", type=int, default=40, help="questions to ask (default 40)")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the starter corpus, its index and four questions (a few seconds)")
    args = parser.parse_args()
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        args.index, args.corpus, args.questions, args.count = data.index, data.corpus, data.gold, 4
    elif not (args.index and args.corpus and args.questions):
        parser.error("--index, --corpus and --questions are required")
    print(marking(args.index, args.corpus, args.questions, args.count))
    print(rendering(args.corpus))


if __name__ == "__main__":
    main()
