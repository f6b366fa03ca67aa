"""``python -m search``: ask a question (default) or compare commitments. Parses, calls, prints."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

from indexer.analysis import split_words
from indexer.errors import IndexerError
from indexer.settings import load_settings

from .compare import compare
from .filters import Filters
from .retrieve import Hit, Searcher
from .translate import TRANSLATABLE, MachineTranslation, TranslationError, UnknownLanguageError

EXAMPLES = """examples:
  python -m search "which countries expanded free legal aid?"
  python -m search "open court data" -k 5 --type report --json
  python -m search "justicia abierta" --lang es
  python -m search "acceso a la justicia para mujeres" --translate-to en    passages also shown in English
  python -m search "legal aid" --no-translate                  only the question as asked, no translation
  python -m search "legal aid" --country "North Macedonia,Albania" --year 2016-2024
  python -m search --queries questions.txt > answers.jsonl      one question a line, or JSON Lines with "q"
  python -m search compare "free legal aid for poor people" --policy-area "Access to Justice"
  python -m search watch add "legal aid for detainees" --country Albania    save a search
  python -m search watch list          the saved searches of the index
  python -m search watch run           passages new in each saved search since the last run
  python -m search watch remove w1

saved searches live in INDEX/watches.json (see search/watch.py); `python -m indexer build`
ends by listing those that gained passages.

compare QUESTION lists one row per matching commitment, grouped by country:
  country | id | year | title | lead institution | IRM potential impact | IRM completion | URL
(the IRM ratings as the OGP export gives them; "-" where it has none).

exit status: 0 answered (also when nothing matched); 2 bad input, or no usable index.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m search",
        description="Search the justice-policy index; every passage comes with its citation.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("question", nargs="*",
                        help="the question (or: compare QUESTION; watch add QUESTION | list | run | remove ID)")
    parser.add_argument("--index", type=Path, help="index folder (default: index)")
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("-k", type=_at_least_one, default=None, help="number of results (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--queries", type=Path, help="file of questions; writes JSON Lines to stdout")
    parser.add_argument("--country", help="only these countries (comma-separated)")
    parser.add_argument("--region", help="only these regions (comma-separated)")
    parser.add_argument("--year", help="year or range, e.g. 2018-2024")
    parser.add_argument("--type", dest="kind", help="report, guide, commitment or text (comma-separated)")
    parser.add_argument("--policy-area", help='e.g. "Access to Justice" (comma-separated)')
    parser.add_argument("--lang", help="language code(s), e.g. en or es")
    parser.add_argument("--no-translate", action="store_true",
                        help="search the question only as asked (no machine translation into the index's languages)")
    parser.add_argument("--translate-to", metavar="LANG", type=str.lower, choices=TRANSLATABLE,
                        help=f"also show each passage machine-translated into LANG ({', '.join(TRANSLATABLE)}); "
                             "the original stays the quoted text")
    return parser


def _at_least_one(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _read_queries(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IndexerError(f"the questions file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexerError(f"the questions file {path} cannot be read ({exc})") from None
    questions = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                questions.append(str(json.loads(line)["q"]))
                continue
            except (ValueError, KeyError):
                raise IndexerError(f"{path}: a JSON line without a 'q' field: {line[:60]}") from None
        questions.append(line)
    return questions


def _render(hits: list[Hit], translations: dict[int, MachineTranslation] | None = None) -> str:
    if not hits:
        return "No passages matched. Try other words, or fewer filters."
    blocks = []
    for hit in hits:
        lines = [f"{hit.rank}. {hit.citation}"]
        where = hit.link or hit.provenance.source + (f"#page={hit.provenance.page}" if hit.provenance.page else "")
        lines.append(f"   {where}")
        lines.append(textwrap.indent(textwrap.fill(f"» {hit.best_sentence}", 100), "   "))
        translation = (translations or {}).get(hit.chunk_id)
        if translation is not None and translation.source != translation.target:  # else it would repeat the passage
            lines.append(textwrap.indent(textwrap.fill(f"[{translation.label()}] {translation.text}", 100), "   "))
        if hit.also_in:
            lines.append("   also in: " + "; ".join(hit.also_in_citations))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    words = list(args.question)
    mode = "ask"
    if words and words[0] == "watch":
        return _watch(args, words[1:])
    if words and words[0] == "compare":
        mode, words = "compare", words[1:]
    question = " ".join(words).strip()
    example = 'python -m search compare "free legal aid"' if mode == "compare" else 'python -m search "free legal aid"'
    if not args.queries and not split_words(question):
        _parser().print_usage(sys.stderr)
        print(f"error: give a question in words, e.g. {example}", file=sys.stderr)
        return 2
    if args.queries and question:
        print("error: give either a question or --queries FILE, not both", file=sys.stderr)
        return 2
    if mode == "compare" and args.kind:
        print("error: compare lists commitments only; --type does not apply to it", file=sys.stderr)
        return 2
    try:
        overrides = {"translate_questions": "off"} if args.no_translate else {}
        settings = load_settings(args.config, index_dir=args.index, **overrides)
        filters = Filters.from_strings(country=args.country, region=args.region, year=args.year, kind=args.kind,
                                       policy_area=args.policy_area, language=args.lang)
        questions = _read_queries(args.queries) if args.queries else []
        searcher = Searcher(settings.index_dir, settings)
        if searcher.update_hint:
            print(searcher.update_hint, file=sys.stderr)
        filters = searcher.check_filters(filters)
        if args.queries:
            for q in questions:
                results = [h.to_dict() for h in searcher.search(q, args.k, filters)]
                print(json.dumps({"query": q, "filters": filters.to_query(), "results": results}, ensure_ascii=False),
                      flush=True)
            return 0
        if mode == "compare":
            rows = compare(searcher, question, filters, limit=args.k or 20)
            if args.json:
                print(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
            else:
                if rows:
                    print("country | id | year | title | lead institution | IRM potential impact | IRM completion | URL")
                for r in rows:
                    print(f"{r.country} | {r.commitment_id} | {r.year} | {r.title} | {r.lead_institution or '-'} | "
                          f"impact: {r.irm_potential_impact or '-'} | completion: {r.irm_completion or '-'} | {r.url or ''}")
                if not rows:
                    print("No commitments matched. Try other words, or fewer filters.")
            return 0
        hits = searcher.search(question, args.k, filters)
        translations = _translations(searcher, hits, args.translate_to, whole=args.json) if args.translate_to else {}
    except IndexerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        results = [h.to_dict() for h in hits]
        for result, hit in zip(results, hits):
            if hit.chunk_id in translations:
                t = translations[hit.chunk_id]
                result["translation"] = {"text": t.text, "source": t.source, "target": t.target,
                                         "engine": t.engine, "label": t.label()}
        print(json.dumps({"query": question, "filters": filters.to_query(), "results": results},
                         ensure_ascii=False, indent=2))
    else:
        print(_render(hits, translations))
    return 0


def _translations(searcher: Searcher, hits: list[Hit], target: str, whole: bool = True,
                  ) -> dict[int, MachineTranslation]:
    """chunk id -> the passage in ``target``: the whole passage (``whole``, as JSON gives it), else the
    sentence the text output shows of it. A passage that cannot be translated is shown as written,
    with a note on standard error; IndexerError (exit 2) only when the engine translated none (no
    Apertium, or no pair for ``target``), not when the passages' languages could not be told."""
    out, failures = {}, []
    for hit in hits:
        try:
            shown = hit if whole or not hit.best_sentence else replace(hit, text=hit.best_sentence)
            out[hit.chunk_id] = searcher.translate(shown, target)
        except TranslationError as exc:
            failures.append((hit, exc))
    engine = [exc for _, exc in failures if not isinstance(exc, UnknownLanguageError)]
    if engine and not out:
        raise IndexerError(f"--translate-to {target}: {engine[0]}")
    for hit, exc in failures:
        print(f"note: result {hit.rank} not translated: {exc}", file=sys.stderr)
    return out


WATCH_VERBS = ("add", "list", "run", "remove")


def _watch(args: argparse.Namespace, words: list[str]) -> int:
    """``watch add QUESTION | list | run | remove ID``: saved searches beside the index."""
    from .watch import CLI_READER, add_watch, load_watches, mark_seen, remove_watch, what_is_new

    verb, rest = (words[0], words[1:]) if words else ("", [])
    if verb not in WATCH_VERBS:
        print(f"error: watch needs one of {', '.join(WATCH_VERBS)}, e.g. python -m search watch add \"legal aid\"",
              file=sys.stderr)
        return 2
    question = " ".join(rest).strip()
    if verb == "add" and not split_words(question):
        print('error: give the question to save, e.g. python -m search watch add "free legal aid"', file=sys.stderr)
        return 2
    if verb == "remove" and len(rest) != 1:
        print("error: give the id of one saved search (python -m search watch list shows them)", file=sys.stderr)
        return 2
    if verb in ("list", "run") and rest:
        print(f"error: watch {verb} takes no question", file=sys.stderr)
        return 2
    try:
        settings = load_settings(args.config, index_dir=args.index)
        if verb == "remove":
            gone = remove_watch(settings.index_dir, rest[0])
            if gone is None:
                print(f"error: no saved search {rest[0]} (python -m search watch list shows them)", file=sys.stderr)
                return 2
            print(f"removed {gone.id}: {gone.question}")
            return 0
        if verb == "list":
            searches = load_watches(settings.index_dir)
            if args.json:
                print(json.dumps([s.to_dict() for s in searches], ensure_ascii=False, indent=2))
            for s in [] if args.json else searches:
                print(f"{s.id}  {s.question}  {_filter_words(s.filters)}(top {s.k})")
            if not searches and not args.json:
                print('No saved searches. Save one: python -m search watch add "your question"')
            return 0
        searcher = Searcher(settings.index_dir, settings)
        if verb == "add":
            filters = Filters.from_strings(country=args.country, region=args.region, year=args.year, kind=args.kind,
                                           policy_area=args.policy_area, language=args.lang)
            saved = add_watch(searcher, question, filters, args.k or 10)
            print(json.dumps(saved.to_dict(), ensure_ascii=False, indent=2) if args.json else
                  f"saved {saved.id}: {saved.question}  {_filter_words(saved.filters)}(top {saved.k}); "
                  f"`python -m search watch run` lists what enters its results after a build")
            return 0
        news = what_is_new(searcher, CLI_READER)
        mark_seen(settings.index_dir, news, CLI_READER)
    except IndexerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([{"id": n.search.id, "question": n.search.question, "filters": n.search.filters,
                           "generation": n.generation, "new": [h.to_dict() for h in n.new]} for n in news],
                         ensure_ascii=False, indent=2))
        return 0
    if not news:
        print('No saved searches. Save one: python -m search watch add "your question"')
    for n in news:
        print(f"{n.search.id}  {n.search.question}  {_filter_words(n.search.filters)}: {len(n.new)} new")
        for hit in n.new:
            print(f"   {hit.citation}\n" + textwrap.indent(textwrap.fill(f"» {hit.best_sentence}", 100), "     "))
    return 0


def _filter_words(filters: dict[str, str]) -> str:
    return "".join(f"[{name}: {value}] " for name, value in filters.items())


def _run() -> int:
    try:
        return main()
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error. Point stdout at nothing so that
        # Python's flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(_run())
