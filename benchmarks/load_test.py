"""Load test: concurrent clients against the running app, loopback only, beside the raw search
capacity measured in the same run.

1. Raw capacity: `python -m search --queries` answers the questions one after another in one
   process; per-question ms is the time between its first and last answer over the answers
   between (model load excluded). Capacity = CPU cores x 1000 / per-question ms.
2. Starts `python app.py` on 127.0.0.1 (a free port) over the index, then for each mode, N client
   threads ask questions in a loop for D seconds (at most --max-requests in all):
   ``api``: GET /api/search (the JSON API, outside Gradio's queue);
   ``app``: the page's own search, sent as the browser sends it: the search button's event
   joins Gradio's queue (POST /gradio_api/queue/join) and its answer is read from the event
   stream (GET /gradio_api/queue/data), then every server event the page chains after it is
   sent the same way. The form's values are those of an untouched page; the answer must hold
   result cards;
   ``ask``: the programmatic /ask endpoint through the same queue protocol;
   ``ask-client``: /ask through gradio_client, the Python client library (the harness of the
   first measurements: its own CPU time per call, printed, competes with the app for the cores).
   Reports requests, errors, requests/s, p50/p95, the app's CPU ms per answer, the clients' CPU
   ms per answer, and the share of raw capacity.
3. Memory: the resident set (RSS) of every process of the app (the server and the translation
   pipelines it starts), after the first answer and after each mode.
4. --baseline REV also serves the app as it was at git revision REV (extracted to a temporary
   folder, same index, same Python) and runs every mode against both, alternating, so the ratio
   comes from one run on one machine.
5. A burst of 4N simultaneous /ask requests shows the app queues rather than fails (--burst).

    python benchmarks/load_test.py --index index --corpus corpus --clients 16 --seconds 30
    python benchmarks/load_test.py --modes api,app,ask-client --baseline 84b0305
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

QUESTIONS = [
    "which countries expanded free legal aid?", "publishing court judgments online", "community paralegals",
    "legal needs survey", "court statistics open data", "justicia abierta", "protection orders for women",
    "mediation instead of court", "simplifying court procedures", "anonymising judgments",
]
MODES = {
    "api": "GET /api/search",
    "app": "app: the page's search (Gradio queue)",
    "ask": "app: /ask (Gradio queue)",
    "ask-client": "app: /ask via gradio_client",
}
REPO = Path(__file__).resolve().parent.parent
GRADIO = "/gradio_api"


def read_questions(path: Path) -> list[str]:
    """The questions of a gold set (JSON Lines with "q" or "question") or of a text file, one a line."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            line = record.get("q") or record.get("question") or ""
        if line:
            questions.append(line)
    if not questions:
        raise SystemExit(f"{path}: no questions found")
    return questions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 180.0, process: subprocess.Popen | None = None) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the app at {url} exited with status {process.returncode} before answering")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the app did not answer at {url} within {timeout:.0f} s")


def raw_capacity(index: str, rounds: int = 3) -> tuple[float, float]:
    """(per-question ms, requests/s the CPU cores could answer) from `python -m search --queries`."""
    questions = QUESTIONS * rounds
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(questions) + "\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "search", "--queries", f.name, "--index", index, "-k", "10"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stamps = [time.perf_counter() for _ in proc.stdout]
    proc.wait()
    os.unlink(f.name)
    if proc.returncode != 0 or len(stamps) != len(questions):
        raise SystemExit(f"python -m search --queries failed ({proc.returncode}, {len(stamps)} answers)")
    # The first answer carries the model's warm-up; time the ones after it.
    per_question_ms = (stamps[-1] - stamps[0]) * 1000 / (len(stamps) - 1)
    return per_question_ms, (os.cpu_count() or 1) * 1000 / per_question_ms


# -- the app's processes: memory and CPU time --------------------------------------------------

def _status_field(pid: int, name: str) -> str | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def rss_mib(pid: int) -> float:
    value = _status_field(pid, "VmRSS")
    return int(value.split()[0]) / 1024 if value else float("nan")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (the app's translation pipelines), parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _status_field(int(entry.name), "PPid")
            if parent and parent.isdigit():
                children.setdefault(int(parent), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop(0)
        tree.append(current)
        todo.extend(sorted(children.get(current, ())))
    return tree


def memory_by_process(pid: int) -> list[tuple[int, str, float]]:
    """(pid, command name, RSS MiB) of the app's process and each process it started."""
    rows = []
    for p in process_tree(pid):
        name = _status_field(p, "Name") or "?"
        rows.append((p, name, rss_mib(p)))
    return rows


def describe_memory(pid: int) -> str:
    """'server 352 MiB + 14 child processes (Apertium's pipelines) 201 MiB = 553 MiB'."""
    rows = memory_by_process(pid)
    if not rows:
        return "the app is gone"
    children = rows[1:]
    total = sum(mib for _, _, mib in rows)
    names = sorted({name for _, name, _ in children})
    kinds = "Apertium's pipelines" if names and all(n.startswith(("apertium", "lt-", "lrx", "bash", "cg-")) for n in names) \
        else ", ".join(names)
    return (f"server {rows[0][2]:.0f} MiB + {len(children)} child processes ({kinds}) "
            f"{sum(mib for _, _, mib in children):.0f} MiB = {total:.0f} MiB" if children else
            f"server {rows[0][2]:.0f} MiB, no child processes")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children so far, all threads."""
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- clients ------------------------------------------------------------------------------------

def hammer(make_call: Callable[[], Callable[[str], object]], clients: int, seconds: float,
           max_requests: int, meter: Callable[[], float] | None = None) -> dict:
    """``clients`` threads, each with its own connection, asking in a loop for ``seconds``;
    ``meter`` (a CPU-seconds counter) is read when they start asking and when they are done, so
    connecting (a Gradio client reads the app's page configuration first) is left out."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    budget = [max_requests]
    ready = threading.Barrier(clients + 1)
    go = threading.Event()
    stop_at = [0.0]

    def worker(n: int) -> None:
        try:
            call = make_call()
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with lock:
                errors.append(f"connect: {type(exc).__name__}: {exc}")
            ready.wait()
            return
        ready.wait()
        go.wait()
        i = n
        while time.perf_counter() < stop_at[0]:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            t = time.perf_counter()
            try:
                if not call(QUESTIONS[i % len(QUESTIONS)]):
                    raise RuntimeError("empty result")
                with lock:
                    latencies.append(time.perf_counter() - t)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    ready.wait()  # every client connected
    cpu_before, own_before = (meter() if meter else 0.0), own_cpu_seconds()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    go.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    answered = max(len(latencies), 1)
    server_cpu_ms = ((meter() - cpu_before) * 1000 / answered) if meter else float("nan")
    client_cpu_ms = (own_cpu_seconds() - own_before) * 1000 / answered
    latencies.sort()
    return {"wall": wall, "ok": len(latencies), "errors": errors, "rps": len(latencies) / wall,
            "server_cpu_ms": server_cpu_ms, "client_cpu_ms": client_cpu_ms,
            "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan")}


def api_call(url: str) -> Callable[[], Callable[[str], object]]:
    import httpx

    def make() -> Callable[[str], object]:
        client = httpx.Client(base_url=url, timeout=120)

        def call(question: str) -> object:
            response = client.get("/api/search", params={"q": question, "k": 10})
            response.raise_for_status()
            return response.json()["results"]
        return call
    return make


@dataclass
class QueueSession:
    """One browser tab's conversation with Gradio's queue: events joined under one session id,
    answers read from the session's event stream."""

    client: object
    session: str = field(default_factory=lambda: uuid.uuid4().hex)

    def run(self, fn_index: int, data: list, trigger_id: int | None = None, event_data: dict | None = None) -> list:
        """Join the queue with one event and return its output data (RuntimeError if it failed);
        ``event_data`` is what the page's script sends with it (a card's rank, for a pin)."""
        joined = self.client.post(f"{GRADIO}/queue/join", json={
            "data": data, "fn_index": fn_index, "trigger_id": trigger_id, "session_hash": self.session,
            "event_data": event_data})
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        with self.client.stream("GET", f"{GRADIO}/queue/data", params={"session_hash": self.session}) as stream:
            stream.raise_for_status()
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") != event_id or message.get("msg") != "process_completed":
                    continue
                if not message.get("success"):
                    raise RuntimeError(f"event {fn_index} failed: {str(message.get('output'))[:200]}")
                return message["output"]["data"]
        raise RuntimeError(f"event {fn_index}: the stream ended before its answer")


@dataclass(frozen=True)
class PageSearch:
    """The page's search as the app's config describes it: the event the search button starts, the
    form's untouched values, and the server events the page chains after it."""

    fn_index: int
    trigger_id: int
    inputs: tuple[int, ...]
    defaults: dict
    question_id: int
    results_at: int
    chained: tuple[tuple[int, tuple[int, ...]], ...]

    @classmethod
    def from_config(cls, config: dict) -> PageSearch:
        components = {c["id"]: c for c in config["components"]}
        by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}
        button, question, results = by_elem["jx-search"], by_elem["jx-question"], by_elem["jx-results"]
        deps = config["dependencies"]
        search = next(d for d in deps if [button, "click"] in d["targets"])
        # What the browser sends for a component it holds: its value on an untouched page; a
        # State's value stays on the server (None is sent).
        defaults = {i: (None if components[i].get("type") == "state" else components[i].get("props", {}).get("value"))
                    for d in deps for i in d["inputs"] if i in components}
        chained, frontier = [], [search["id"]]
        while frontier:  # events run after it, in order; JavaScript-only steps run in the browser
            current = frontier.pop(0)
            for d in deps:
                if d.get("trigger_after") == current:
                    if d.get("backend_fn"):
                        chained.append((d["id"], tuple(d["inputs"])))
                    frontier.append(d["id"])
        return cls(search["id"], button, tuple(search["inputs"]), defaults, question,
                   search["outputs"].index(results), tuple(chained))

    def data(self, inputs: tuple[int, ...], question: str) -> list:
        return [question if i == self.question_id else self.defaults.get(i) for i in inputs]


def page_call(url: str) -> Callable[[], Callable[[str], object]]:
    import httpx

    def make() -> Callable[[str], object]:
        client = httpx.Client(base_url=url, timeout=120)
        page = PageSearch.from_config(client.get("/config").json())
        session = QueueSession(client)

        def call(question: str) -> object:
            out = session.run(page.fn_index, page.data(page.inputs, question), page.trigger_id)
            cards = out[page.results_at]
            if 'class="jx-hit"' not in (cards if isinstance(cards, str) else json.dumps(cards)):
                raise RuntimeError("the page's answer holds no result card")
            for fn_index, inputs in page.chained:
                session.run(fn_index, page.data(inputs, question))
            return cards
        return call
    return make


def ask_call(url: str) -> Callable[[], Callable[[str], object]]:
    import httpx

    def make() -> Callable[[str], object]:
        client = httpx.Client(base_url=url, timeout=120)
        config = client.get("/config").json()
        fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
        session = QueueSession(client)
        return lambda question: session.run(fn_index, [question, 10])[0]
    return make


def ask_client_call(url: str) -> Callable[[], Callable[[str], object]]:
    from gradio_client import Client

    def make() -> Callable[[str], object]:
        client = Client(url, verbose=False)
        return lambda question: client.predict(question, 10, api_name="/ask")
    return make


CALLS = {"api": api_call, "app": page_call, "ask": ask_call, "ask-client": ask_client_call}


# -- the apps under test ------------------------------------------------------------------------

@dataclass
class ServedApp:
    name: str
    folder: Path
    process: subprocess.Popen | None = None
    url: str = ""
    cold_s: float = float("nan")
    memory_after_first: str = ""
    results: dict = field(default_factory=dict)

    def start(self, index: str, corpus: str) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--index", str(Path(index).resolve()), "--corpus",
             str(Path(corpus).resolve()), "--port", str(port)],
            cwd=self.folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.url + "/", process=self.process)
        first = api_call(self.url)()(QUESTIONS[0])
        self.cold_s = time.perf_counter() - started
        assert first and first[0]["citation"], "the app returned no cited passage"
        self.memory_after_first = describe_memory(self.process.pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def checkout(revision: str) -> Path:
    """The repository as it was at ``revision``, in a temporary folder (removed by the caller)."""
    folder = Path(tempfile.mkdtemp(prefix="load-test-baseline-"))
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=REPO, capture_output=True)
    if archive.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise SystemExit(f"git archive {revision} failed: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def measure(served: ServedApp, mode: str, args: argparse.Namespace) -> dict:
    pid = served.process.pid
    result = hammer(CALLS[mode](served.url), args.clients, args.seconds, args.max_requests,
                    meter=lambda: cpu_seconds(pid))
    result["rss"] = rss_mib(pid)
    result["memory"] = describe_memory(pid)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default="index")
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--modes", default="api,app",
                        help=f"comma-separated, of: {', '.join(MODES)} (default api,app)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also serve the app as it was at this git revision and run every mode against both")
    parser.add_argument("--burst", action="store_true", help="also send 4 x clients simultaneous /ask requests")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the starter corpus's index, 2 clients for 2 s on each path")
    parser.add_argument("--questions", type=Path, action="append", metavar="FILE",
                        help="ask these questions instead of the ten built in (a gold set's JSON Lines, its 'q' "
                             "field, or one question a line); repeat for several. Many distinct questions keep "
                             "the search's per-passage caches from answering most of the work")
    args = parser.parse_args()
    if args.questions:
        QUESTIONS[:] = [q for path in args.questions for q in read_questions(path)]
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        args.index, args.corpus, args.clients, args.seconds = str(data.index), str(data.corpus), 2, 2.0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")

    per_question_ms, capacity = raw_capacity(args.index)
    print(f"raw search capacity: {per_question_ms:.0f} ms a question in one process (python -m search --queries), "
          f"{os.cpu_count()} cores -> {capacity:.1f} req/s; a third: {capacity / 3:.1f} req/s", flush=True)

    apps = [ServedApp("this tree", REPO)]
    if args.baseline:
        apps.insert(0, ServedApp(f"at {args.baseline}", checkout(args.baseline)))
    burst = burst_errors = 0
    burst_wall = 0.0
    try:
        for served in apps:
            served.start(args.index, args.corpus)
        for mode in modes:
            for served in apps:  # alternating, so a change in the machine's load touches both
                served.results[mode] = measure(served, mode, args)
                r = served.results[mode]
                print(f"  {served.name}, {mode}: {r['rps']:.1f} req/s, p95 {r['p95']:.0f} ms, "
                      f"{len(r['errors'])} errors", flush=True)
        if args.burst:
            served = apps[-1]
            burst = args.clients * 4
            t1 = time.perf_counter()
            calls = [ask_call(served.url)() for _ in range(burst)]
            with ThreadPoolExecutor(burst) as pool:
                futures = [pool.submit(call, QUESTIONS[i % len(QUESTIONS)]) for i, call in enumerate(calls)]
                for f in futures:
                    try:
                        burst_errors += not f.result(timeout=300)
                    except Exception:  # noqa: BLE001
                        burst_errors += 1
            burst_wall = time.perf_counter() - t1
    finally:
        for served in apps:
            served.stop()
        if args.baseline:
            shutil.rmtree(apps[0].folder, ignore_errors=True)

    print("\n| app | path | clients | seconds | answered | errors | req/s | share of raw capacity | p50 ms | p95 ms | "
          "app CPU ms/answer | clients' CPU ms/answer | app RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for mode in modes:
        for served in apps:
            r = served.results[mode]
            print(f"| {served.name} | {MODES[mode]} | {args.clients} | {r['wall']:.0f} | {r['ok']} | {len(r['errors'])} | "
                  f"{r['rps']:.2f} | {r['rps'] / capacity:.0%} | {r['p50']:.0f} | {r['p95']:.0f} | "
                  f"{r['server_cpu_ms']:.1f} | {r['client_cpu_ms']:.1f} | {r['rss']:.0f} |")
    print()
    for served in apps:
        print(f"{served.name}: cold start to first answer {served.cold_s:.1f} s; memory after the first answer: "
              f"{served.memory_after_first}")
        last = served.results[modes[-1]] if modes else None
        if last:
            print(f"{served.name}: memory after the load: {last['memory']}")
    current = apps[-1].results
    if "api" in current:
        r = current["api"]
        verdict = "reaches" if r["rps"] >= capacity / 3 else "does NOT reach"
        print(f"the API {verdict} a third of raw capacity ({r['rps']:.2f} vs {capacity / 3:.2f} req/s); "
              f"p95 {'under' if r['p95'] < 1000 else 'over'} 1 s; {len(r['errors'])} errors")
    if args.baseline:
        for mode in modes:
            old, new = apps[0].results[mode], apps[1].results[mode]
            print(f"{MODES[mode]}: this tree answers {new['rps'] / old['rps']:.2f} x the requests/s of {apps[0].name} "
                  f"({new['rps']:.1f} vs {old['rps']:.1f}); p95 {new['p95']:.0f} vs {old['p95']:.0f} ms")
    if args.burst:
        print(f"burst of {burst} simultaneous /ask requests: {burst - burst_errors} answered, {burst_errors} failed, "
              f"all done in {burst_wall:.1f} s")
    errors = [e for served in apps for r in served.results.values() for e in r["errors"]]
    for e in sorted(set(errors))[:5]:
        print("error:", e)
    return 1 if errors or burst_errors else 0


if __name__ == "__main__":
    sys.exit(main())
