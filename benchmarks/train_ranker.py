"""Learn the ranker's weights (search/rerank.py, kept in search/ranker.json) from gold questions, and measure how well they
generalise before anyone relies on them.

For every question, the index's fused candidates (the first ``rerank_depth``) are read with
their signals, each labelled relevant or not by the gold keys. The weights minimise a pairwise
logistic loss (a relevant candidate should outscore every irrelevant one of the same question)
with an L2 penalty, each signal scaled by its typical within-question spread. Then:

  * leave one set out: train on the other ``--train`` sets, score the set left out;
  * k-fold over all ``--train`` questions, repeated with different shuffles;
  * the final weights, trained on every ``--train`` question, scored on every set: in-sample for
    the ``--train`` sets, held out for the ``--heldout`` ones (keep the dev set there).

Every score is measured through the whole search (fusion, ranker, collapse, joining), as
``python -m search.eval`` would. With ``--write`` the final weights go to search/ranker.json, with
what they assume: the settings the signals are computed with (the search refuses the weights under
other ones), the training files and their sha256, and the index's passage count.

    python benchmarks/train_ranker.py --index real-index \\
        --train benchmarks/questions/corpus-real-extra.jsonl --train benchmarks/questions/corpus-real-third.jsonl \\
        --heldout ../shared/eval/dev.jsonl --write
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from indexer.settings import load_settings  # noqa: E402
from search import Searcher  # noqa: E402
from search.evaluate import evaluate, load_gold, matches  # noqa: E402
from search.rerank import FEATURES, RANKER_FILE, RankerModel, assumed_settings  # noqa: E402


class _Recorder(Searcher):
    """A Searcher that keeps the ranker's signals of each question's candidates (in fused order)."""

    recorded: tuple[list[int], np.ndarray] | None = None

    def ranking_signals(self, query, vector, head, *args, **kwargs):
        signals = super().ranking_signals(query, vector, head, *args, **kwargs)
        self.recorded = ([cid for cid, _ in head], np.array([s.vector() for s in signals]))
        return signals


def collect(searcher: _Recorder, path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(signals, relevant) of every question's candidates."""
    out = []
    for question in load_gold(path):
        searcher.search(question.q, k=10)
        ids, signals = searcher.recorded
        chunks = searcher.reader.chunks_by_id(ids)
        relevant = []
        for cid in ids:
            c = chunks[cid]
            as_result = {"commitment_id": c.provenance.commitment_id, "text": c.text,
                         "source": c.provenance.source, "page": c.provenance.page}
            relevant.append(any(matches(as_result, key) for key in question.gold))
        out.append((signals, np.array(relevant)))
    return out


def train(questions: list[tuple[np.ndarray, np.ndarray]], l2: float, steps: int = 3000,
          rate: float = 0.5) -> dict[str, float]:
    """Pairwise logistic regression; weights in each signal's own units."""
    pairs = [signals[i] - signals[j] for signals, relevant in questions if relevant.any() and (~relevant).any()
             for i in np.flatnonzero(relevant) for j in np.flatnonzero(~relevant)]
    differences = np.array(pairs)
    spread = np.abs(differences).mean(axis=0) + 1e-9
    scaled = differences / spread
    weights = np.zeros(scaled.shape[1])
    for _ in range(steps):
        margin = scaled @ weights
        gradient = -(scaled * (1.0 / (1.0 + np.exp(margin)))[:, None]).mean(axis=0) + l2 * weights
        weights -= rate * gradient
    return dict(zip(FEATURES, (weights / spread).round(4).tolist()))


def mrr(searcher: Searcher, path: Path, weights: dict[str, float]) -> tuple[float, float, dict]:
    searcher.ranker_weights = weights
    report = evaluate(load_gold(path), lambda q: [h.to_dict() for h in searcher.search(q, k=10)])
    return report.mrr10, report.success[1], report.first_relevant_rank


def _ranks(first: dict) -> str:
    return " ".join(f"{q}:{r or '-'}" for q, r in first.items() if r != 1) or "all first"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("real-index"))
    parser.add_argument("--train", type=Path, action="append", help="gold set to learn from (required)")
    parser.add_argument("--heldout", type=Path, action="append", default=[], help="gold set only measured")
    parser.add_argument("--l2", type=float, default=0.3)
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"write the final weights to {RANKER_FILE}")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the starter corpus's index and four questions, 2 folds, one shuffle; "
                             "never writes")
    args = parser.parse_args()
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        args.index, args.train, args.heldout = data.index, [data.gold], []
        args.folds, args.repeats, args.write = 2, 1, False
    elif not args.train:
        parser.error("give at least one --train gold set")

    settings = load_settings(None, index_dir=args.index)
    zero = dict.fromkeys(FEATURES, 0.0)  # ties everywhere: the fused order, to record the candidates in
    searcher = _Recorder(args.index, settings, ranker_weights=zero)  # whatever search/ranker.json holds
    data = {path: collect(searcher, path) for path in args.train}
    fused = dict.fromkeys(FEATURES, 0.0) | {"fusion": 1.0}
    print(f"{len(FEATURES)} signals, {settings.rerank_depth} candidates a question, L2 {args.l2}\n")

    print("fused order (no ranker), MRR@10 / S@1:")
    for path in [*args.train, *args.heldout]:
        m, s1, first = mrr(searcher, path, fused)
        print(f"  {path.name}: {m:.3f} / {s1:.3f}  {_ranks(first)}")

    if len(args.train) > 1:
        print("\nleave one set out (trained on the others), MRR@10 / S@1:")
        for held in args.train:
            weights = train([q for path in args.train if path != held for q in data[path]], args.l2)
            m, s1, first = mrr(searcher, held, weights)
            print(f"  {held.name}: {m:.3f} / {s1:.3f}  {_ranks(first)}")

    everyone = [(path, i) for path in args.train for i in range(len(data[path]))]
    golds = {path: load_gold(path) for path in args.train}
    results = []
    for repeat in range(args.repeats):
        order = np.random.default_rng(repeat).permutation(len(everyone))
        reciprocal = []
        for fold in range(args.folds):
            test = {everyone[i] for i in order[fold::args.folds]}
            searcher.ranker_weights = train([data[p][i] for p, i in everyone if (p, i) not in test], args.l2)
            for path, i in sorted(test, key=str):
                question = golds[path][i]
                hits = [h.to_dict() for h in searcher.search(question.q, k=10)]
                first = next((r for r, h in enumerate(hits, 1) if any(matches(h, g) for g in question.gold)), None)
                reciprocal.append(1.0 / first if first else 0.0)
        results.append(float(np.mean(reciprocal)))
    print(f"\n{args.folds}-fold over all {len(everyone)} training questions, {args.repeats} shuffles: MRR@10 "
          f"{np.median(results):.3f} (median; {', '.join(f'{r:.3f}' for r in results)})")

    final = train([q for path in args.train for q in data[path]], args.l2)
    print("\nfinal weights (all training questions), MRR@10 / S@1:")
    for path in [*args.train, *args.heldout]:
        m, s1, first = mrr(searcher, path, final)
        where = "in-sample" if path in args.train else "held out"
        print(f"  {path.name} ({where}): {m:.3f} / {s1:.3f}  {_ranks(first)}")
    print("\nweights: " + ", ".join(f"{name} {value}" for name, value in final.items()))
    if args.write:
        model = RankerModel(final, assumed_settings(settings), {_name(p): _sha256(p) for p in args.train},
                            searcher.manifest.chunks)
        model.write()
        print(f"written to {RANKER_FILE}")
    searcher.close()


def _name(path: Path) -> str:
    """A training file as ranker.json names it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    main()
