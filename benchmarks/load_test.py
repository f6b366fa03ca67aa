"""Load test: 16 concurrent clients against the running app, loopback only, beside the raw search
capacity measured in the same run.

1. Raw capacity: `python -m search --queries` answers the questions one after another in one
   process; per-question ms is the time between its first and last answer over the answers
   between (model load excluded). Capacity = CPU cores x 1000 / per-question ms.
2. Starts `python app.py` on 127.0.0.1 (a free port) over the index, then for each mode, N client
   threads ask questions in a loop for D seconds (at most --max-requests in all):
   ``api``: GET /api/search (the JSON API, outside Gradio's queue);
   ``app``: the app's own search path through Gradio's queue (gradio_client, /ask).
   Reports requests, errors, requests/s, p50/p95, and how that compares with a third of raw capacity.
3. A burst of 4N simultaneous /ask requests shows the app queues rather than fails (--burst).

    python benchmarks/load_test.py --index index --corpus corpus --clients 16 --seconds 30
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

QUESTIONS = [
    "which countries expanded free legal aid?", "publishing court judgments online", "community paralegals",
    "legal needs survey", "court statistics open data", "justicia abierta", "protection orders for women",
    "mediation instead of court", "simplifying court procedures", "anonymising judgments",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 120.0) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the app did not answer at {url} within {timeout:.0f} s")


REPO = Path(__file__).resolve().parent.parent


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


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def hammer(make_call: Callable[[], Callable[[str], object]], clients: int, seconds: float,
           max_requests: int) -> dict:
    """``clients`` threads, each with its own connection, asking in a loop for ``seconds``."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    budget = [max_requests]
    stop_at = time.perf_counter() + seconds

    def worker(n: int) -> None:
        call = make_call()
        i = n
        while time.perf_counter() < stop_at:
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
                    errors.append(f"{type(exc).__name__}: {exc}")
            i += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {"wall": wall, "ok": len(latencies), "errors": errors, "rps": len(latencies) / wall,
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


def app_call(url: str) -> Callable[[], Callable[[str], object]]:
    from gradio_client import Client

    def make() -> Callable[[str], object]:
        client = Client(url, verbose=False)
        return lambda question: client.predict(question, 10, api_name="/ask")
    return make


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default="index")
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--modes", default="api,app", help="comma-separated: api, app")
    parser.add_argument("--burst", action="store_true", help="also send 4 x clients simultaneous /ask requests")
    parser.add_argument("--smoke", action="store_true",
                        help="CI check: the starter corpus's index, 2 clients for 2 s on each path")
    args = parser.parse_args()
    if args.smoke:
        from smoke import smoke_data

        data = smoke_data()
        args.index, args.corpus, args.clients, args.seconds = str(data.index), str(data.corpus), 2, 2.0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    per_question_ms, capacity = raw_capacity(args.index)
    print(f"raw search capacity: {per_question_ms:.0f} ms a question in one process (python -m search --queries), "
          f"{os.cpu_count()} cores -> {capacity:.1f} req/s; a third: {capacity / 3:.1f} req/s", flush=True)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    app = subprocess.Popen([sys.executable, "app.py", "--index", args.index, "--corpus", args.corpus,
                            "--port", str(port)], cwd=REPO, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict[str, dict] = {}
    try:
        wait_for(url + "/")
        first = api_call(url)()(QUESTIONS[0])
        cold = time.perf_counter() - started
        assert first and first[0]["citation"], "the app returned no cited passage"
        idle_mib = rss_mib(app.pid)
        for mode in modes:
            make = api_call(url) if mode == "api" else app_call(url)
            results[mode] = hammer(make, args.clients, args.seconds, args.max_requests)
            results[mode]["rss"] = rss_mib(app.pid)
        if args.burst:
            burst = args.clients * 4
            burst_errors = 0
            t1 = time.perf_counter()
            with ThreadPoolExecutor(burst) as pool:
                calls = [app_call(url)() for _ in range(burst)]
                futures = [pool.submit(call, QUESTIONS[i % 10]) for i, call in enumerate(calls)]
                for f in futures:
                    try:
                        burst_errors += not f.result(timeout=300)
                    except Exception:  # noqa: BLE001
                        burst_errors += 1
            burst_wall = time.perf_counter() - t1
    finally:
        app.terminate()
        app.wait(timeout=30)

    print("\n| path | clients | seconds | answered | errors | req/s | share of raw capacity | p50 ms | p95 ms | "
          "app RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode, r in results.items():
        path = "GET /api/search" if mode == "api" else "app (Gradio queue, /ask)"
        print(f"| {path} | {args.clients} | {r['wall']:.0f} | {r['ok']} | {len(r['errors'])} | {r['rps']:.2f} | "
              f"{r['rps'] / capacity:.0%} | {r['p50']:.0f} | {r['p95']:.0f} | {r['rss']:.0f} |")
    print(f"\napp: one process, {idle_mib:.0f} MiB after its first answer; cold start to first answer {cold:.1f} s")
    if "api" in results:
        r = results["api"]
        verdict = "reaches" if r["rps"] >= capacity / 3 else "does NOT reach"
        print(f"the API {verdict} a third of raw capacity ({r['rps']:.2f} vs {capacity / 3:.2f} req/s); "
              f"p95 {'under' if r['p95'] < 1000 else 'over'} 1 s; {len(r['errors'])} errors")
    if args.burst:
        print(f"burst of {burst} simultaneous /ask requests: {burst - burst_errors} answered, {burst_errors} failed, "
              f"all done in {burst_wall:.1f} s")
    errors = [e for r in results.values() for e in r["errors"]]
    for e in sorted(set(errors))[:5]:
        print("error:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
