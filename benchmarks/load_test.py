"""Load test: concurrent questions against the running app's `/ask` API, loopback only.

Starts `python app.py` on 127.0.0.1 (a free port) over an index, then N client threads each
ask questions in a loop for D seconds (bounded: at most --max-requests in all) through
gradio_client. Reports requests, errors, throughput and latency p50/p95, then a burst of
4N simultaneous requests to show the app queues rather than fails when overloaded.

    python benchmarks/load_test.py --index index --corpus corpus --clients 16 --seconds 60
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default="index")
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=20000)
    args = parser.parse_args()

    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    started = time.perf_counter()
    app = subprocess.Popen([sys.executable, "app.py", "--index", args.index, "--corpus", args.corpus,
                            "--port", str(port)], cwd=Path(__file__).resolve().parent.parent, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(url)
        client = Client(url, verbose=False)
        first = client.predict(QUESTIONS[0], 5, api_name="/ask")
        cold = time.perf_counter() - started
        assert first and first[0]["citation"], "the app returned no cited passage"

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        budget = [args.max_requests]
        stop_at = time.perf_counter() + args.seconds

        def worker(n: int) -> None:
            c = Client(url, verbose=False)
            i = n
            while time.perf_counter() < stop_at:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                t = time.perf_counter()
                try:
                    result = c.predict(QUESTIONS[i % len(QUESTIONS)], 10, api_name="/ask")
                    if not result:
                        raise RuntimeError("empty result")
                    with lock:
                        latencies.append(time.perf_counter() - t)
                except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                i += 1

        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        latencies.sort()

        burst = args.clients * 4
        burst_errors = 0
        t1 = time.perf_counter()
        with ThreadPoolExecutor(burst) as pool:
            futures = [pool.submit(Client(url, verbose=False).predict, QUESTIONS[i % 10], 10, api_name="/ask")
                       for i in range(burst)]
            for f in futures:
                try:
                    burst_errors += not f.result(timeout=300)
                except Exception:  # noqa: BLE001
                    burst_errors += 1
        burst_wall = time.perf_counter() - t1
    finally:
        app.terminate()
        app.wait(timeout=30)

    print(f"| clients | seconds | requests | errors | throughput req/s | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
    print(f"| {args.clients} | {wall:.0f} | {len(latencies) + len(errors)} | {len(errors)} | "
          f"{len(latencies) / wall:.1f} | {p50:.0f} | {p95:.0f} |")
    print(f"\nburst of {burst} simultaneous requests: {burst - burst_errors} answered, {burst_errors} failed, "
          f"all done in {burst_wall:.1f} s (queued, concurrency limit 4)")
    print(f"app cold start to first answer: {cold:.1f} s")
    for e in sorted(set(errors))[:5]:
        print("error:", e)
    return 1 if errors or burst_errors else 0


if __name__ == "__main__":
    sys.exit(main())
