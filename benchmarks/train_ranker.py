"""Learn the ranker's weights (search/rerank.py, kept in search/ranker.json) from gold questions and
pseudo-questions drawn from the corpora, and measure how well they generalise before anyone relies on them.

For every question, the index's fused candidates (the first ``rerank_depth``) are read with
their signals, each labelled relevant or not: by the gold keys for a hand-written question, by its
document for a pseudo-question (benchmarks/pseudo_questions.py: a sentence of a passage asks for
the rest of its document, the passage itself taken out). The weights minimise a pairwise logistic
loss (a relevant candidate should outscore every irrelevant one of the same question), each
question counting once (a pseudo-question ``--pseudo-weight`` of a hand-written one, shared among
the ``--pseudo-draws`` draws: eight draws of pseudo-questions weigh together as one), with an L2
penalty, each signal scaled by its typical within-question spread. Then:

  * leave one set out: train on the other ``--train`` sets (and every pseudo-question), score the set left out;
  * leave one corpus out: train on the sets and pseudo-questions of the other corpora, score the
    sets (``--train`` and ``--heldout``) of the corpus left out; a set names its corpus as PATH@NAME
    and ``--corpus NAME=DIR`` says which folder each corpus is;
  * with ``--grid``, those scores for several L2 penalties and pseudo-question weights, to choose
    both on held-out splits rather than on one set;
  * the final weights, trained on every ``--train`` question and pseudo-question, scored on every
    set: in-sample for the ``--train`` sets, held out for the ``--heldout`` ones.

Every score is measured through the whole search (fusion, ranker, collapse, joining), as
``python -m search.eval`` would. With ``--write`` the final weights go to search/ranker.json with
their evidence: the settings the signals are computed with (the search refuses the weights under
other ones), the training files and their sha256, the pseudo-questions' recipe and count, the L2
penalty and pseudo-question weight, and the index's passage count. search.rerank.RETRAIN is the
command that wrote the shipped file.
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

from pseudo_questions import DRAWS, PER_GROUP, SEED, open_translator, pseudo_question_draws, recipe  # noqa: E402

#: The defaults are the values the shipped weights were chosen with (by --grid: docs/retrieval.md).
L2 = 0.1
PSEUDO_WEIGHT = 0.5
SPREAD_FLOOR = 0.1


class _Recorder(Searcher):
    """A Searcher that keeps the ranker's signals of each question's candidates (in fused order)."""

    recorded: tuple[list[int], np.ndarray] | None = None

    def ranking_signals(self, query, vector, head, *args, **kwargs):
        signals = super().ranking_signals(query, vector, head, *args, **kwargs)
        self.recorded = ([cid for cid, _ in head], np.array([s.vector() for s in signals]))
        return signals


Question = tuple[np.ndarray, np.ndarray]  # (signals of its candidates, relevant or not)


def collect(searcher: _Recorder, path: Path) -> list[Question]:
    """(signals, relevant) of every gold question's candidates."""
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


def collect_pseudo(searcher: _Recorder, questions) -> dict[str, list[Question]]:
    """corpus -> (signals, relevant) of its pseudo-questions' candidates, the source passage taken out."""
    out: dict[str, list[Question]] = {}
    for question in questions:
        searcher.search(question.q, k=10)
        ids, signals = searcher.recorded
        chunks = searcher.reader.chunks_by_id(ids)
        keep = [at for at, cid in enumerate(ids) if cid != question.excluded]
        relevant = np.array([chunks[ids[at]].document_id == question.document_id for at in keep])
        out.setdefault(question.corpus, []).append((signals[keep], relevant))
    return out


def train(questions: list[Question], l2: float, weights: list[float] | None = None, steps: int = 2000,
          rate: float = 0.5) -> dict[str, float]:
    """Pairwise logistic regression, each question's pairs weighing ``weights[i]`` together (1 each
    by default); weights in each signal's own units."""
    weights = weights or [1.0] * len(questions)
    pairs, pair_weights = [], []
    for (signals, relevant), weight in zip(questions, weights):
        good, bad = np.flatnonzero(relevant), np.flatnonzero(~relevant)
        if len(good) and len(bad):
            differences = (signals[good][:, None, :] - signals[bad][None, :, :]).reshape(-1, signals.shape[1])
            pairs.append(differences)
            pair_weights.append(np.full(len(differences), weight / len(differences)))
    differences, pair_weights = np.concatenate(pairs), np.concatenate(pair_weights)
    pair_weights /= pair_weights.sum()
    # A signal that is rarely non-zero (a commitment when the question asks for one) would get a tiny
    # spread and an enormous weight from a handful of pairs; the floor keeps it answerable to L2.
    spread = np.maximum(np.abs(differences).mean(axis=0), SPREAD_FLOOR)
    scaled = differences / spread
    w = np.zeros(scaled.shape[1])
    for _ in range(steps):
        margin = scaled @ w
        gradient = -(scaled * (pair_weights / (1.0 + np.exp(margin)))[:, None]).sum(axis=0) + l2 * w
        w -= rate * gradient
    return dict(zip(FEATURES, (w / spread).round(4).tolist()))


def mrr(searcher: Searcher, path: Path, weights: dict[str, float]) -> tuple[float, float, dict]:
    searcher.ranker_weights = weights
    report = evaluate(load_gold(path), lambda q: [h.to_dict() for h in searcher.search(q, k=10)])
    return report.mrr10, report.success[1], report.first_relevant_rank


def _ranks(first: dict) -> str:
    return " ".join(f"{q}:{r or '-'}" for q, r in first.items() if r != 1) or "all first"


def _named_set(text: str, corpora: dict[str, Path]) -> tuple[Path, str | None]:
    path, _, corpus = text.rpartition("@")
    if path and corpus in corpora:
        return Path(path), corpus
    return Path(text), None


class Evidence:
    """Every question's candidates, by set and corpus, and the training and scoring over splits."""

    def __init__(self, searcher: _Recorder, train_sets: dict[Path, str | None], heldout: dict[Path, str | None],
                 drawn: list, draws: int = 1) -> None:
        self.searcher, self.train_sets, self.heldout, self.drawn = searcher, train_sets, heldout, drawn
        self.draws = draws  # the draws in ``drawn``: a pseudo-question weighs 1 / draws of one draw's
        self.pseudo = collect_pseudo(searcher, drawn)
        self.data = {path: collect(searcher, path) for path in train_sets}

    def pseudo_scores(self, corpus: str, weights: dict[str, float]) -> dict[str, tuple[float, int]]:
        """MRR@10 of ``corpus``'s pseudo-questions over their reordered candidates (the source passage
        out), asked in their document's language ("same") and machine-translated ("crossed"). Measured
        on the candidates, not on the collapsed results: collapsing joins a neighbour to the source
        passage, which would hide the very answer."""
        w = np.array([weights[name] for name in FEATURES])
        asked = [q for q in self.drawn if q.corpus == corpus]
        reciprocal: dict[str, list[float]] = {"same": [], "crossed": []}
        for question, (signals, relevant) in zip(asked, self.pseudo.get(corpus, [])):
            order = np.argsort(-(signals @ w), kind="stable")[:10]
            first = next((r for r, at in enumerate(order, 1) if relevant[at]), None)
            reciprocal["crossed" if question.asked_in else "same"].append(1.0 / first if first else 0.0)
        return {kind: (float(np.mean(values)) if values else float("nan"), len(values))
                for kind, values in reciprocal.items()}

    def fit(self, l2: float, pseudo_weight: float, without_set: Path | None = None,
            without_corpus: str | None = None) -> dict[str, float]:
        questions, weights = [], []
        for path, corpus in self.train_sets.items():
            if path != without_set and (without_corpus is None or corpus != without_corpus):
                questions += self.data[path]
                weights += [1.0] * len(self.data[path])
        if pseudo_weight > 0:
            for corpus, items in self.pseudo.items():
                if corpus != without_corpus:
                    questions += items
                    weights += [pseudo_weight / self.draws] * len(items)
        return train(questions, l2, weights)

    def leave_one_set_out(self, l2: float, pseudo_weight: float) -> dict[Path, tuple[float, float, dict]]:
        return {held: mrr(self.searcher, held, self.fit(l2, pseudo_weight, without_set=held))
                for held in self.train_sets}

    def leave_one_corpus_out(self, l2: float, pseudo_weight: float) -> dict[str, dict[Path, tuple]]:
        corpora = sorted({c for c in [*self.train_sets.values(), *self.heldout.values()] if c})
        out = {}
        for corpus in corpora:
            weights = self.fit(l2, pseudo_weight, without_corpus=corpus)
            sets = [p for p, c in [*self.train_sets.items(), *self.heldout.items()] if c == corpus]
            out[corpus] = {path: mrr(self.searcher, path, weights) for path in sets}
            out[corpus]["pseudo"] = self.pseudo_scores(corpus, weights)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("real-index"))
    parser.add_argument("--settings", type=Path, help="a settings TOML file to train under (default: the defaults)")
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=DIR",
                        help="a corpus folder whose documents the index holds (pseudo-questions, corpus splits)")
    parser.add_argument("--train", action="append", metavar="PATH[@CORPUS]", help="gold set to learn from (required)")
    parser.add_argument("--heldout", action="append", default=[], metavar="PATH[@CORPUS]", help="gold set only measured")
    parser.add_argument("--alone", action="append", default=[], metavar="CORPUS=INDEX",
                        help="an index of that corpus alone (as a user with one collection has): every "
                             "split's and the final weights' scores of that corpus's sets are also given there")
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--pseudo-weight", type=float, default=PSEUDO_WEIGHT,
                        help="a pseudo-question's weight against a hand-written one's 1 (0: none)")
    parser.add_argument("--pseudo-per-group", type=int, default=PER_GROUP)
    parser.add_argument("--pseudo-draws", type=int, default=DRAWS,
                        help="draws of pseudo-questions learnt from together, weighing as one (seeds 0, 1, ...)")
    parser.add_argument("--grid", action="store_true", help="score L2 x pseudo-weight choices on the held-out splits")
    parser.add_argument("--write", action="store_true", help=f"write the final weights to {RANKER_FILE}")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the starter corpus's index and four questions; never writes")
    args = parser.parse_args()
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        args.index, args.train, args.heldout, args.write = data.index, [str(data.gold)], [], False
        args.corpus, args.pseudo_draws = [f"starter={data.corpus}"], 2
    elif not args.train:
        parser.error("give at least one --train gold set")
    corpora = {name: Path(folder) for name, folder in (c.split("=", 1) for c in args.corpus)}
    train_sets = dict(_named_set(t, corpora) for t in args.train)
    heldout = dict(_named_set(t, corpora) for t in args.heldout)

    settings = load_settings(args.settings, index_dir=args.index)
    zero = dict.fromkeys(FEATURES, 0.0)  # ties everywhere: the fused order, to record the candidates in
    searcher = _Recorder(args.index, settings, ranker_weights=zero)  # whatever search/ranker.json holds
    translator = open_translator() if corpora else None
    drawn = (pseudo_question_draws(searcher.reader, corpora, args.pseudo_per_group, SEED, args.pseudo_draws, translator)
             if corpora else [])
    crossed = sum(1 for q in drawn if q.asked_in)
    if translator is not None:
        translator.close()
    alone = {name: _Recorder(Path(folder), load_settings(args.settings, index_dir=Path(folder)), ranker_weights=zero)
             for name, folder in (a.split("=", 1) for a in args.alone)}
    evidence = Evidence(searcher, train_sets, heldout, drawn, args.pseudo_draws)
    pseudo = evidence.pseudo
    print(f"{len(FEATURES)} signals, {settings.rerank_depth} candidates a question; "
          f"{sum(len(v) for v in evidence.data.values())} gold questions to learn from, "
          f"{len(drawn)} pseudo-questions in {args.pseudo_draws} draws "
          f"({', '.join(f'{c} {len(v)}' for c, v in sorted(pseudo.items()))})\n")

    print("fused order (no ranker), MRR@10 / S@1:")
    fused = dict.fromkeys(FEATURES, 0.0) | {"fusion": 1.0}
    for path in [*train_sets, *heldout]:
        m, s1, first = mrr(searcher, path, fused)
        print(f"  {path.name}: {m:.3f} / {s1:.3f}  {_ranks(first)}")

    if args.grid:
        print("\ngrid: mean MRR@10 of leave-one-set-out | of leave-one-corpus-out (every set of the corpus left out)")
        for l2 in (0.1, 0.3, 1.0):
            for weight in (0.0, 0.25, 0.5, 1.0):
                loso = [m for m, _, _ in evidence.leave_one_set_out(l2, weight).values()]
                loco = [scores[0] for sets in evidence.leave_one_corpus_out(l2, weight).values()
                        for path, scores in sets.items() if path != "pseudo"]
                print(f"  L2 {l2:<4} pseudo-weight {weight:<5} {np.mean(loso):.3f} "
                      f"(spread {max(loso) - min(loso):.3f}) | {np.mean(loco) if loco else float('nan'):.3f}")

    print(f"\nL2 {args.l2}, pseudo-weight {args.pseudo_weight}")
    if len(train_sets) > 1:
        print("leave one set out (trained on the others and the pseudo-questions), MRR@10 / S@1:")
        loso = evidence.leave_one_set_out(args.l2, args.pseudo_weight)
        for held, (m, s1, first) in loso.items():
            print(f"  {held.name}: {m:.3f} / {s1:.3f}  {_ranks(first)}")
            if train_sets[held] in alone:
                m, s1, first = mrr(alone[train_sets[held]], held,
                                   evidence.fit(args.l2, args.pseudo_weight, without_set=held))
                print(f"  {held.name} (index of {train_sets[held]} alone): {m:.3f} / {s1:.3f}  {_ranks(first)}")
        scores = [m for m, _, _ in loso.values()]
        print(f"  spread (best - worst): {max(scores) - min(scores):.3f}")
    if len(set(c for c in [*train_sets.values(), *heldout.values()] if c)) > 1:
        print("leave one corpus out (trained on the other corpus's sets and pseudo-questions), MRR@10 / S@1:")
        for corpus, sets in evidence.leave_one_corpus_out(args.l2, args.pseudo_weight).items():
            scores = sets.pop("pseudo")
            for path, (m, s1, first) in sets.items():
                print(f"  without {corpus}: {path.name}: {m:.3f} / {s1:.3f}  {_ranks(first)}")
            if corpus in alone:
                weights = evidence.fit(args.l2, args.pseudo_weight, without_corpus=corpus)
                for path in sets:
                    m, s1, first = mrr(alone[corpus], path, weights)
                    print(f"  without {corpus}: {path.name} (index of {corpus} alone): {m:.3f} / {s1:.3f}  "
                          f"{_ranks(first)}")
            print(f"  without {corpus}: its pseudo-questions, MRR@10: " + ", ".join(
                f"{kind} {m:.3f} ({n})" for kind, (m, n) in scores.items()))

    final = evidence.fit(args.l2, args.pseudo_weight)
    print("\nfinal weights (all training questions and pseudo-questions), MRR@10 / S@1:")
    for path in [*train_sets, *heldout]:
        m, s1, first = mrr(searcher, path, final)
        where = "in-sample" if path in train_sets else "held out"
        print(f"  {path.name} ({where}): {m:.3f} / {s1:.3f}  {_ranks(first)}")
    for corpus, alone_searcher in alone.items():
        for path in [p for p, c in [*train_sets.items(), *heldout.items()] if c == corpus]:
            m, s1, first = mrr(alone_searcher, path, final)
            where = "in-sample" if path in train_sets else "held out"
            print(f"  {path.name} ({where}, index of {corpus} alone): {m:.3f} / {s1:.3f}  {_ranks(first)}")
    print("\nweights: " + ", ".join(f"{name} {value}" for name, value in final.items()))
    if args.write:
        evidence_record = {"l2": args.l2, "pseudo_weight": args.pseudo_weight,
                           "pseudo_questions": recipe(args.pseudo_per_group, draws=args.pseudo_draws) | {
                               "count": len(drawn), "translated": crossed, "corpora": sorted(corpora)}}
        model = RankerModel(final, assumed_settings(settings), {_name(p): _sha256(p) for p in train_sets},
                            searcher.manifest.chunks, evidence_record)
        model.write()
        print(f"written to {RANKER_FILE}")
    searcher.close()
    for alone_searcher in alone.values():
        alone_searcher.close()


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
