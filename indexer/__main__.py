"""``python -m indexer``: build or check the index. Parses flags, calls the library, prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import build_index, recorded_corpus, same_folder
from .errors import IndexerError, StrictBuildError
from .settings import BACKENDS, Settings, load_settings
from .store import IndexReader

EXAMPLES = """examples:
  python -m indexer build                              index ./corpus into ./index (or update it)
  python -m indexer build --index real-index           update an index from the folder it was built from
  python -m indexer build --corpus ../shared/corpus-real --index real-index
  python -m indexer build --model /models/my-sbert      use another sentence-transformers model
  python -m indexer build --backend torch              sentence-transformers fp32 instead of ONNX int8
  python -m indexer check --index real-index           verify an index and say how to repair it
  python -m indexer adapt --index real-index --out models/real-adapted
                                                       fine-tune the model on the index's own passages

exit status: 0 success; 1 some files could not be read (the rest were indexed; with
--strict nothing is written); 2 the build or check itself failed; 130 interrupted (Ctrl-C:
the index is as it was).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m indexer",
        description="Index justice-policy documents (PDF, scans by OCR, Word, Markdown, HTML, text, spreadsheets, YAML/JSON trackers, OGP commitments export) for search.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="index new and changed files; drop deleted ones",
                           epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    check = sub.add_parser(
        "check", help="verify an index folder",
        description="Verify an index: the manifest, that FAISS and SQLite hold the same passages, SQLite's "
                    "pages, the keyword index, and that the model it was built with is available and fits.",
        epilog="exit status: 0 the index is whole; 2 it is missing, damaged or does not fit the model "
               "(the message says what is wrong and the command that rebuilds it).")
    check.add_argument("--model", help="the model searches will use (default: the one the index was built with)")
    adapt = sub.add_parser(
        "adapt", help="fine-tune the embedding model on an index's own passages",
        description="Fine-tune the model an index was built with on questions made from its own passages (one "
                    "sentence of a passage as the question, the rest of it as the answer; no questions need to "
                    "be written), write it to a new folder, then rebuild with it. On 2 CPU cores it takes about "
                    "a fifth of a second per pair: some 15 minutes for 5,000 passages.",
        epilog="examples:\n"
               "  python -m indexer adapt --index real-index --out models/real-adapted\n"
               "  python -m indexer build --index real-index --model models/real-adapted   re-embeds every passage\n"
               "  python -m indexer adapt --index index --out models/mine --pairs 2000     quicker, a sample\n\n"
               "exit status: 0 written; 2 nothing written (the message says why); 130 interrupted "
               "(nothing written).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    adapt.add_argument("--out", type=Path, required=True, help="folder for the adapted model (new, or one an earlier "
                       "adapt wrote)")
    adapt.add_argument("--pairs", type=int, default=10_000, help="at most this many training pairs (default 10000)")
    adapt.add_argument("--seed", type=int, default=0, help="seed for choosing the question sentences (default 0)")
    adapt.add_argument("--quiet", action="store_true", help="no progress bar")
    for p in (build, check, adapt):
        p.add_argument("--index", type=Path, help="index folder (default: index)")
        p.add_argument("--config", type=Path, help="TOML settings file (default: ./justice-search.toml if present)")
    build.add_argument("--corpus", type=Path,
                       help="folder of documents (default: the folder the index was built from, else corpus)")
    build.add_argument("--replace", action="store_true",
                       help="let a build from another corpus folder replace the documents the index holds")
    build.add_argument("--model", help="sentence-transformers model name or path")
    build.add_argument("--backend", choices=BACKENDS,
                       help="encoder runtime (default onnx-int8; torch for a GPU or to skip the ONNX export)")
    build.add_argument("--batch-size", type=int, help="passages per encoder batch (torch backend)")
    build.add_argument("--strict", action="store_true", help="any unreadable file fails the build")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_fetch_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(
            args.config,
            index_dir=args.index,
            corpus_dir=getattr(args, "corpus", None),
            model=getattr(args, "model", None),
            batch_size=getattr(args, "batch_size", None),
            backend=getattr(args, "backend", None),
        )
        if args.command == "check":
            return _check(settings)
        if args.command == "adapt":
            return _adapt(args, settings)
        if args.command in ("fetch", "add"):
            return _fetch(args, settings) if args.command == "fetch" else _add(args, settings)
        settings = _with_recorded_corpus(args, settings)
        report = build_index(settings, progress=not args.quiet, strict=args.strict, replace=args.replace)
    except StrictBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1  # unreadable files, as without --strict; but nothing was written
    except IndexerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted: nothing was written, and the index is as it was before this build.", file=sys.stderr)
        return 130
    print(report.summary())
    if report.failed:
        print(f"\n{len(report.failed)} file(s) could not be read; everything else was indexed. "
              "Fix or remove them and run the build again.")
        return 1
    _list_watches_with_news(settings)
    print(f"\nReady. Ask a question: python -m search \"your question\" --index {settings.index_dir}")
    return 0


def _list_watches_with_news(settings: Settings) -> None:
    """Name the saved searches (INDEX/watches.json) that gained passages in this build. Search is
    imported here, in the shell, only when there are saved searches: the library never imports it."""
    if not (Path(settings.index_dir) / "watches.json").is_file():
        return
    from search.retrieve import Searcher
    from search.watch import CLI_READER, what_is_new

    try:
        searcher = Searcher(settings.index_dir, settings)
        try:
            gained = [n for n in what_is_new(searcher, CLI_READER) if n.new]
        finally:
            searcher.close()
    except IndexerError as exc:
        print(f"\nThe saved searches could not be checked: {exc}", file=sys.stderr)
        return
    if gained:
        print("\nSaved searches with new passages (python -m search watch run shows them):")
        for n in gained:
            print(f"  {n.search.id}  {n.search.question}: {len(n.new)} new")


def _with_recorded_corpus(args: argparse.Namespace, settings: Settings) -> Settings:
    """``settings`` reading the corpus the index was built from, when neither --corpus nor the
    settings file names one: `build --index real-index` updates that index from its own folder."""
    if args.corpus is not None or settings.corpus_dir != Settings().corpus_dir:
        return settings
    recorded = recorded_corpus(settings.index_dir)
    if recorded is None or same_folder(recorded, settings.corpus_dir):
        return settings
    print(f"corpus: {recorded} (the folder this index was built from; --corpus reads another)")
    return settings.with_overrides(corpus_dir=recorded)


def _adapt(args: argparse.Namespace, settings: Settings) -> int:
    from .adapt import adapt_model

    try:
        report = adapt_model(settings, args.out, limit=args.pairs, seed=args.seed, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"\nInterrupted: nothing was written to {args.out}.", file=sys.stderr)
        return 130
    print(f"Adapted {report.base_model} to {report.index}: {report.pairs:,} pairs from {report.passages:,} passages, "
          f"{report.steps} steps in {report.seconds / 60:.1f} min (loss {report.first_loss:.2f} -> "
          f"{report.last_loss:.2f}); written to {report.model}.")
    print(f"\nNext, re-embed the index with it: python -m indexer build --index {settings.index_dir} --model "
          f"{report.model}\n(or set model = \"{report.model}\" in justice-search.toml, so every build uses it).")
    return 0


def _check(settings: Settings) -> int:
    """Exit 0 with a summary when the index is whole; 2 with what is wrong and how to rebuild it."""
    from .store import rebuild_hint

    reader = IndexReader(settings.index_dir)  # refuses a missing, damaged or foreign index (IndexerError: 2)
    try:
        m = reader.manifest
        problems = reader.verify(deep=True)
        failures = reader.failures() if not problems else {}
    finally:
        reader.close()
    hint = rebuild_hint(settings.index_dir)
    if problems:
        print(f"error: the index at {settings.index_dir} is damaged: {'; '.join(problems)}. To repair it, {hint}.",
              file=sys.stderr)
        return 2
    model_problem = _check_model(settings, m.model, m.dimension)
    if model_problem:
        print(f"error: the index at {settings.index_dir} {model_problem}", file=sys.stderr)
        return 2
    print(f"Index {settings.index_dir} is consistent: generation {m.generation}, {m.files} files, "
          f"{m.documents} documents, {m.chunks} chunks (FAISS and SQLite agree), model {m.model} ({m.dimension} d), "
          f"built {m.built_at}.")
    for source, (_, reason) in sorted(failures.items()):
        print(f"  not indexed: {source}: {reason}")
    return 0


def _check_model(settings: Settings, built_with: str, dimension: int) -> str | None:
    """Why the index does not fit the model searches will use (the rest of a sentence), or None."""
    import json

    from .embedding import resolve_model_path
    from .errors import ModelLoadError
    from .settings import PACKAGED_MODEL_NAME

    index = settings.index_dir
    if settings.model not in (PACKAGED_MODEL_NAME, built_with):  # the default means "the index's own model"
        return (f"was built with the model '{built_with}' but the settings ask for '{settings.model}': rebuild it "
                f"with `python -m indexer build --index {index} --model {settings.model}`.")
    try:
        folder = Path(resolve_model_path(built_with))
    except ModelLoadError as exc:
        return f"was built with a model that is not installed: {exc}"
    if not folder.is_dir():
        if not built_with.startswith(("/", "./", "../", "~")):
            return None  # a hub name ("org/model"): only loading it can tell, and search does
        return (f"was built with the model folder '{built_with}', which does not exist: put the model back there, "
                f"or rebuild the index with the default model: `python -m indexer build --index {index}`.")
    try:  # a sentence-transformers folder: the last Pooling or Dense module sets the dimension
        model_dimension = None
        for module in json.loads((folder / "modules.json").read_text(encoding="utf-8")):
            config = folder / module.get("path", "") / "config.json"
            if module.get("type", "").endswith("Pooling"):
                model_dimension = int(json.loads(config.read_text(encoding="utf-8"))["word_embedding_dimension"])
            elif module.get("type", "").endswith("Dense"):
                model_dimension = int(json.loads(config.read_text(encoding="utf-8"))["out_features"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # not a layout we can read without loading the model
    if model_dimension is not None and model_dimension != dimension:
        return (f"holds {dimension}-dimensional vectors but its model '{built_with}' gives {model_dimension}: "
                f"rebuild it with `python -m indexer build --index {index} --model {built_with}`.")
    return None


FETCH_EXAMPLES = """examples:
  python -m indexer fetch                            download every source listed in corpus/sources.toml
  python -m indexer fetch --only commitment          only the commitment pages
  python -m indexer fetch --since 2025-06-01 --build re-check sources last checked before 1 June 2025,
                                                     then index what changed
  python -m indexer add notes/kenya-legal-aid.pdf --title "Legal aid review" --country Kenya
  python -m indexer add https://www.opengovpartnership.org/members/chile/commitments/CL0075/

Fetched documents land in corpus/fetched/<kind>/, each with a NAME.source.json sidecar (official URL,
ETag, Last-Modified, SHA-256): a later fetch asks the server whether each changed and leaves unchanged
ones untouched. A source that fails is reported and the copy already held is kept. Set
JUSTICE_SEARCH_CONTACT (an e-mail or URL) to add a contact to the User-Agent sent.

exit status: 0 all sources fetched or unchanged (add: the document was indexed); 1 some sources failed
(nothing was lost) or the document could not be indexed; 2 bad sources file or options.
"""


def _add_fetch_parsers(sub) -> None:
    """The ``fetch`` and ``add`` subcommands."""
    from .fetch import KINDS

    kinds = "\n".join(f"  {k:16} {v}" for k, v in KINDS.items())
    fetch = sub.add_parser(
        "fetch", help="download the official sources listed in corpus/sources.toml",
        description="Download the official sources (reports, guide chapters, policy pages, commitment pages)\n"
                    "into corpus/fetched/, politely and incrementally.\n\nkinds of source:\n" + kinds,
        epilog=FETCH_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = sub.add_parser(
        "add", help="add one document (a file or a URL) to the corpus and the index",
        description="Add one document: a local file is copied into corpus/added/ (with a sidecar holding "
                    "the metadata given); a URL is fetched like a source into corpus/fetched/<kind>/. "
                    "Then the index is brought up to date.",
        epilog=FETCH_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    for p in (fetch, add):
        p.add_argument("--corpus", type=Path, help="corpus folder (default: corpus)")
        p.add_argument("--index", type=Path, help="index folder (default: index)")
        p.add_argument("--config", type=Path, help="TOML settings file (default: ./justice-search.toml if present)")
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        p.add_argument("--timeout", type=float, default=30.0, help="seconds to connect and per read (default 30)")
        p.add_argument("--retries", type=int, default=3,
                       help="further attempts after a 5xx, 429, time-out or connection error (default 3)")
        p.add_argument("--rate", type=float, default=1.0,
                       help="minimum seconds between two requests to the same host (default 1)")
        p.add_argument("--max-mb", type=float, default=100.0, help="size cap per download in MB (default 100)")
    fetch.add_argument("--sources", type=Path, help="sources manifest (default: <corpus>/sources.toml)")
    fetch.add_argument("--only", action="append", choices=list(KINDS), metavar="KIND",
                       help="fetch only sources of this kind (repeatable): " + ", ".join(KINDS))
    fetch.add_argument("--since", metavar="YYYY-MM-DD",
                       help="re-check only sources last checked before this date (UTC); skip the others")
    fetch.add_argument("--build", action="store_true", help="then update the index (incremental build)")
    add.add_argument("target", metavar="PATH_OR_URL", help="a document file, or an http(s) URL")
    add.add_argument("--kind", choices=list(KINDS), metavar="KIND",
                     help="for a URL: what it is (default: guessed from the URL); 'commitment' also turns "
                          "a saved commitment page (.html) into a commitments CSV")
    add.add_argument("--title", help="title citations show")
    add.add_argument("--country", help="country citations and filters show")
    add.add_argument("--language", help="ISO 639-1 language code, e.g. en, es")
    add.add_argument("--url", help="official URL citations link to (local files)")
    add.add_argument("--no-build", action="store_true", help="only add the file; do not update the index")


def _http_options(args: argparse.Namespace, settings: Settings) -> dict:
    from .fetch.sources import parse_allowed_hosts

    return {"timeout": args.timeout, "retries": args.retries, "rate": args.rate,
            "max_bytes": int(args.max_mb * 1024 * 1024),
            "allowed_hosts": parse_allowed_hosts(settings.fetch_allowed_hosts)}


def _fetch(args: argparse.Namespace, settings: Settings) -> int:
    from .fetch import fetch_sources, load_sources

    sources = load_sources(args.sources or Path(settings.corpus_dir) / "sources.toml")
    report = fetch_sources(sources, settings.corpus_dir, only=args.only, since=args.since,
                           progress=not args.quiet, **_http_options(args, settings))
    print(report.summary())
    status = 1 if report.failed else 0
    if args.build:
        build = build_index(settings, progress=not args.quiet)
        print(build.summary())
        status = 1 if build.failed else status
    elif report.changed:
        print(f"\nIndex the new and updated documents: python -m indexer build --corpus {settings.corpus_dir} "
              f"--index {settings.index_dir}")
    if report.failed:
        print(f"\n{len(report.failed)} source(s) failed; no copy already held was changed. Try again later.")
    return status


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from .fetch import add_document

    result = add_document(args.target, settings.corpus_dir, kind=args.kind, title=args.title,
                          country=args.country, language=args.language, url=args.url, **_http_options(args, settings))
    origin = f" <- {result.url}" if result.url else ""
    print(f"{result.status}: {Path(settings.corpus_dir) / result.path}{origin}")
    if args.no_build:
        return 0
    report = build_index(settings, progress=not args.quiet)
    print(report.summary())
    reason = dict(report.failed).get(result.path)
    if reason:
        print(f"\n{result.path} could not be indexed: {reason}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
