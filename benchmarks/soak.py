"""Soak: mixed load against the running app for minutes, while two builds write new index generations.

1. Copies the corpus into a work folder, indexes it there (`python -m indexer build`) and serves it
   with `python app.py` on 127.0.0.1. Each generation's files are kept aside (hard links and a copy
   of its manifest) as soon as it exists, since the next build removes the files of the one before.
2. N client threads loop over a mix of what people do: the JSON API's search and compare, the
   page's own search through Gradio's queue (as the browser sends it), the page view of a PDF hit
   (/page/...), "show source" pages (/source/...), and a basket export: a search, a card pinned,
   and the Word and Markdown briefing notes downloaded from the links the app gives.
3. Meanwhile, at a third and two thirds of the time, a document is added to the corpus copy and
   `python -m indexer build` writes and swaps in a new generation (the second build also removes
   the files of the generation the app was started on). The app is not restarted: after each build
   the builder asks the API about the added document until an answer from the new generation
   holds it, and reports how long that took.
4. Reports requests and errors by kind (errors must be 0), how many answers each generation gave
   (the API's answers name it; every generation must have answered), whether every answer is whole
   and of one generation (each distinct
   question is asked again of the kept copy of the generation its answer names, in another process,
   and must get the same passages in the same order with the same citations), and the memory (RSS)
   of every process of the app at the start, the middle and the end.

    python benchmarks/soak.py --corpus corpus --minutes 10
    python benchmarks/soak.py --smoke          # CI: the starter corpus, 2 clients, a few seconds
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from load_test import (QUESTIONS, PageSearch, QueueSession, describe_memory, free_port, memory_by_process,
                       rss_mib, wait_for)

REPO = Path(__file__).resolve().parent.parent
COMPARE_QUESTIONS = ("free legal aid", "open court data", "access to justice for women", "legal empowerment")
#: The question about the documents the builds add (add_document).
ADDED_QUESTION = "Velmora district court help desk for people without a lawyer"
PROBE = "api search for an added document"
#: What a client does next, and how often (weights).
MIX = {"api search": 40, "api compare": 15, "page search": 15, "page view": 10, "source page": 10,
       "basket export": 10}
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}


@dataclass
class Tally:
    """What the clients did and saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    done: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    #: (question, generation) -> the distinct answers seen (results as JSON text), and how often.
    answers: dict[tuple[str, int], Counter] = field(default_factory=dict)
    #: generation -> API answers it gave.
    by_generation: Counter = field(default_factory=Counter)
    #: Paths from the answers the other kinds of request go to.
    page_views: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)

    def ok(self, kind: str) -> None:
        with self.lock:
            self.done[kind] += 1

    def failed(self, kind: str, why: str) -> None:
        with self.lock:
            self.errors.append(f"{kind}: {why[:300]}")

    def answer(self, body: dict) -> None:
        generation = body["index"]["generation"]
        results = [{k: v for k, v in r.items() if k != "score"} for r in body["results"]]
        with self.lock:
            self.answers.setdefault((body["query"], generation), Counter())[json.dumps(results, sort_keys=True)] += 1
            self.by_generation[generation] += 1
            for r in body["results"]:
                if r.get("page_view"):
                    self.page_views.add(r["page_view"].lstrip("/"))


def _urls(value) -> list[str]:
    """Every 'url' in a Gradio output (a file's address, e.g. a briefing note to download)."""
    if isinstance(value, dict):
        found = [value["url"]] if isinstance(value.get("url"), str) else []
        return found + [u for v in value.values() for u in _urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    return []


class Client:
    """One person's session: an HTTP connection and a Gradio queue session."""

    def __init__(self, url: str, tally: Tally, seed: int) -> None:
        import httpx

        self.http = httpx.Client(base_url=url, timeout=120)
        self.tally, self.rng = tally, random.Random(seed)
        config = self.http.get("/config").json()
        self.page = PageSearch.from_config(config)
        by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        results = by_elem["jx-results"]
        pin = next(d for d in config["dependencies"] if [results, "click"] in d["targets"])
        self.pin_fn, self.pin_inputs, self.pin_outputs = pin["id"], tuple(pin["inputs"]), pin["outputs"]
        self.results_id = results
        self.session = QueueSession(self.http)

    def step(self) -> None:
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        try:
            getattr(self, kind.replace(" ", "_"))()
            self.tally.ok(kind)
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            self.tally.failed(kind, f"{type(exc).__name__}: {exc}")

    def _get(self, path: str, **params):
        response = self.http.get(path, params=params or None)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} -> {response.status_code}: {response.text[:200]}")
        return response

    def api_search(self) -> None:
        body = self._get("/api/search", q=self.rng.choice(QUESTIONS), k=10).json()
        if not body["results"]:
            raise RuntimeError(f"no results for {body['query']!r}")
        self.tally.answer(body)

    def api_compare(self) -> None:
        body = self._get("/api/compare", q=self.rng.choice(COMPARE_QUESTIONS), k=10).json()
        if "rows" not in body or "generation" not in body.get("index", {}):
            raise RuntimeError("a compare answer without rows or its generation")

    def page_search(self) -> str:
        question = self.rng.choice(QUESTIONS)
        out = self.session.run(self.page.fn_index, self.page.data(self.page.inputs, question), self.page.trigger_id)
        cards = out[self.page.results_at]
        if 'class="jx-hit"' not in cards:
            raise RuntimeError(f"the page's answer to {question!r} holds no card")
        for fn_index, inputs in self.page.chained:
            self.session.run(fn_index, self.page.data(inputs, question))
        with self.tally.lock:
            self.tally.sources.update(re.findall(r'href="(source/\d+\?[^"]+)"', cards))
        return cards

    def page_view(self) -> None:
        with self.tally.lock:
            views = sorted(self.tally.page_views)
        if not views:
            return self.api_search()
        response = self._get("/" + self.rng.choice(views).replace("&amp;", "&"))
        if "page-image" not in response.text:
            raise RuntimeError("a page view without its page image")

    def source_page(self) -> None:
        with self.tally.lock:
            pages = sorted(self.tally.sources)
        if not pages:
            self.page_search()
            return
        response = self._get("/" + pages[self.rng.randrange(len(pages))].replace("&amp;", "&") + "&part=1")
        if 'class="jx-doc"' not in response.text:
            raise RuntimeError("a source page without its text")

    def basket_export(self) -> None:
        self.page_search()
        data = [self.page.defaults.get(i) for i in self.pin_inputs]
        out = self.session.run(self.pin_fn, data, self.results_id, event_data={"rank": 1})
        notes = [u for u in _urls(out) if u.endswith((".docx", ".md"))]
        if len(notes) != 2:
            raise RuntimeError(f"pinning gave {len(notes)} briefing notes to download, not 2")
        for url in notes:
            body = self.http.get(url).content
            if url.endswith(".docx") and not body.startswith(b"PK"):
                raise RuntimeError("the Word note is not a .docx")
            if url.endswith(".md") and b"# " not in body:
                raise RuntimeError("the Markdown note has no heading")


def build(corpus: Path, index: Path) -> float:
    """`python -m indexer build` of ``corpus`` into ``index``; its seconds."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "indexer", "build", "--corpus", str(corpus), "--index", str(index),
                           "--quiet"], cwd=REPO, env=ENV, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"the build failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - started


def keep_generation(index: Path, kept: Path) -> int:
    """Keep the index's current generation under ``kept``/<generation> (hard links to its two
    files, a copy of its manifest); its generation number."""
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    folder = kept / str(manifest["generation"])
    if not folder.exists():
        folder.mkdir(parents=True)
        for name in (manifest["faiss_file"], manifest["sqlite_file"]):
            os.link(index / name, folder / name)
        manifest["corpus"] = None  # a copy answers questions; it is never built again
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return manifest["generation"]


def add_document(corpus: Path, n: int) -> str:
    name = f"soak-added-{n}.md"
    (corpus / name).write_text(
        f"# Soak guide {n}\n\n## Court help desks\n\nThe Velmora district court opened help desk number {n} "
        "for people without a lawyer, with legal aid screening on the spot.\n", encoding="utf-8")
    return name


def wait_until_served(url: str, tally: Tally, generation: int, name: str, limit: float = 60.0) -> float:
    """Ask the API about the document ``name`` the last build added until an answer from
    ``generation`` holds it; the seconds that took (every answer is tallied and checked too)."""
    import httpx

    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120) as http:
        while time.perf_counter() - started < limit:
            response = http.get("/api/search", params={"q": ADDED_QUESTION, "k": 10})
            if response.status_code != 200:
                raise RuntimeError(f"GET /api/search -> {response.status_code}: {response.text[:200]}")
            body = response.json()
            tally.answer(body)
            tally.ok(PROBE)
            if body["index"]["generation"] == generation:
                # The two added documents are near duplicates: the second may be "also in" the first.
                if not any(name in (r["source"], *(a["source"] for a in r["also_in"])) for r in body["results"]):
                    raise RuntimeError(f"generation {generation} answers without the document {name} it added")
                return time.perf_counter() - started
            time.sleep(0.05)
    raise RuntimeError(f"the app still did not serve generation {generation} {limit:.0f} s after its build")


def answers_of(generation_dir: Path, questions: list[str]) -> dict[str, str]:
    """question -> its results (as Tally.answer keeps them) from `python -m search` over a kept generation."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(questions) + "\n")
    done = subprocess.run([sys.executable, "-m", "search", "--queries", f.name, "--index", str(generation_dir),
                           "-k", "10", "--json"], cwd=REPO, env=ENV, capture_output=True, text=True)
    os.unlink(f.name)
    if done.returncode != 0:
        raise SystemExit(f"python -m search over {generation_dir} failed: {done.stderr[-2000:]}")
    out = {}
    for line in done.stdout.splitlines():
        body = json.loads(line)
        results = [{k: v for k, v in r.items() if k != "score"} for r in body["results"]]
        out[body["query"]] = json.dumps(results, sort_keys=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="corpus", help="the corpus to copy and serve (default: corpus)")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed at the end)")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the starter corpus, 2 clients for a few seconds, two builds")
    args = parser.parse_args()
    seconds = args.minutes * 60
    if args.smoke:
        args.corpus, args.clients, seconds = str(REPO / "corpus"), 2, 6.0
    work = args.work or Path(tempfile.mkdtemp(prefix="soak-"))
    corpus, index, kept = work / "corpus", work / "index", work / "generations"
    shutil.copytree(args.corpus, corpus, ignore=shutil.ignore_patterns(".*"))
    first_build = build(corpus, index)
    generations = [keep_generation(index, kept)]
    print(f"indexed {corpus} in {first_build:.1f} s: generation {generations[0]}", flush=True)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = subprocess.Popen([sys.executable, "app.py", "--index", str(index), "--corpus", str(corpus), "--port",
                            str(port)], cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tally, memory, builds = Tally(), {}, []
    try:
        wait_for(url + "/", process=app)
        started = time.perf_counter()
        stop = threading.Event()
        builds_done = threading.Event()

        def builder() -> None:
            try:
                for n, at in ((1, seconds / 3), (2, 2 * seconds / 3)):
                    time.sleep(max(0.0, started + at - time.perf_counter()))
                    name = add_document(corpus, n)
                    took = build(corpus, index)
                    generation, at = keep_generation(index, kept), time.perf_counter() - started
                    builds.append((name, generation, took, at, wait_until_served(url, tally, generation, name)))
            except BaseException as exc:  # noqa: BLE001 - reported as an error of the run
                tally.failed("build", f"{type(exc).__name__}: {exc}")
            finally:
                builds_done.set()

        def client(n: int) -> None:
            try:
                person = Client(url, tally, seed=n)
            except Exception as exc:  # noqa: BLE001
                tally.failed("connect", f"{type(exc).__name__}: {exc}")
                return
            while not stop.is_set():
                person.step()

        def sampler() -> None:  # the server's RSS every tenth of the run, to see whether it levels off
            while not stop.wait(max(1.0, seconds / 10)):
                samples.append((time.perf_counter() - started, rss_mib(app.pid)))

        samples: list[tuple[float, float]] = [(0.0, rss_mib(app.pid))]
        memory["start"] = describe_memory(app.pid)
        threads = [threading.Thread(target=builder), threading.Thread(target=sampler)] + [
            threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(seconds / 2)
        memory["middle"] = describe_memory(app.pid)
        time.sleep(max(0.0, started + seconds - time.perf_counter()))
        builds_done.wait()  # the load goes on until both builds have swapped
        stop.set()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        memory["end"] = describe_memory(app.pid)
        processes = memory_by_process(app.pid)
    finally:
        app.terminate()
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()

    # Every distinct answer, asked again of the generation it names, in another process.
    checked = mismatched = 0
    by_generation: dict[int, list[str]] = {}
    for question, generation in tally.answers:
        by_generation.setdefault(generation, []).append(question)
    for generation, questions in sorted(by_generation.items()):
        again = answers_of(kept / str(generation), sorted(set(questions)))
        for question in questions:
            for seen, times in tally.answers[(question, generation)].items():
                checked += times
                if again.get(question) != seen:
                    mismatched += times
                    tally.errors.append(f"generation {generation} answers {question!r} otherwise than the app did")
    built = generations + [generation for _, generation, *_ in builds]
    unserved = sorted(set(built) - set(tally.by_generation))
    if unserved:
        tally.errors.append(f"no answer came from generation(s) {unserved}")
    total = sum(tally.done.values())

    print(f"\n## Soak: {args.clients} clients for {wall / 60:.1f} min, two builds swapping generations\n")
    print("| request | done |\n|---|---|")
    for kind in (*MIX, PROBE):
        print(f"| {kind} | {tally.done[kind]} |")
    print(f"| all | {total} ({total / wall:.1f}/s), {len(tally.errors)} errors |")
    print("\n| build | added | generation | seconds | finished at | its document found after |\n"
          "|---|---|---|---|---|---|")
    print(f"| before the load | the corpus | {generations[0]} | {first_build:.1f} | - | - |")
    for n, (name, generation, took, at, served) in enumerate(builds, 1):
        print(f"| {n} | {name} | {generation} | {took:.1f} | {at:.0f} s | {served:.2f} s |")
    print("\nAPI answers by generation: " + ", ".join(f"{g}: {n}" for g, n in sorted(tally.by_generation.items())))
    print(f"{checked} API answers checked against the kept copy of their generation: {checked - mismatched} the same, "
          f"{mismatched} different")
    for when in ("start", "middle", "end"):
        print(f"memory at the {when}: {memory[when]}")
    print("server RSS over the run: " + ", ".join(f"{mib:.0f} MiB at {at:.0f} s" for at, mib in samples))
    print("processes at the end: " + ", ".join(f"{name} ({pid}) {mib:.0f} MiB" for pid, name, mib in processes))
    for error in tally.errors[:10]:
        print("error:", error)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if tally.errors or mismatched or len(builds) != 2 else 0


if __name__ == "__main__":
    sys.exit(main())
