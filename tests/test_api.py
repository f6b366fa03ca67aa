"""The JSON API beside the app, over real HTTP on 127.0.0.1: the CLI's --json records, filters,
errors, OpenAPI, and the app's login."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
httpx = pytest.importorskip("httpx")

import app  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(searcher, corpus: Path, **launch):
    demo = app.build_app(searcher, corpus)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch)
    return demo, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def served(starter_index, starter_searcher):
    settings, _ = starter_index
    demo, base = _serve(starter_searcher, settings.corpus_dir)
    with httpx.Client(base_url=base, timeout=60) as client:
        yield settings, starter_searcher, client
    demo.close()


def _cli_json(index_dir: Path, *args: str) -> object:
    done = subprocess.run([sys.executable, "-m", "search", *args, "--json", "--index", str(index_dir)],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_api_search_answers_exactly_what_the_cli_prints(served):
    settings, searcher, client = served
    country = searcher.facets()["country"][0]
    response = client.get("/api/search", params={"q": "legal aid for poor people", "k": 4, "country": country})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    answer = response.json()
    # The API also names the index generation that answered; the rest is the CLI's output.
    assert answer.pop("index") == {"generation": searcher.manifest.generation,
                                   "built_at": searcher.manifest.built_at}
    cli = _cli_json(settings.index_dir, "legal aid for poor people", "-k", "4", "--country", country)
    assert answer == cli
    assert answer["filters"] == {"country": country}
    assert answer["results"] and all(r["country"] == country for r in answer["results"])
    assert {"citation", "best_sentence", "source", "page", "link", "also_in"} <= set(answer["results"][0])


def test_api_compare_rows_are_the_compare_commands(served):
    settings, searcher, client = served
    answer = client.get("/api/compare", params={"q": "free legal aid", "k": 5}).json()
    assert answer["query"] == "free legal aid" and answer["filters"] == {}
    assert answer["index"]["generation"] == searcher.manifest.generation
    cli = _cli_json(settings.index_dir, "compare", "free legal aid", "-k", "5")
    # Scores are the ranker's unrounded floats; the last bit may differ between processes.
    assert [r.pop("score") for r in answer["rows"]] == pytest.approx([r.pop("score") for r in cli], rel=1e-9)
    assert answer["rows"] == cli
    assert answer["rows"] and {"country", "commitment_id", "irm_potential_impact", "irm_completion"} <= set(
        answer["rows"][0])


def test_api_filters_take_comma_separated_values_and_years(served):
    _, searcher, client = served
    countries = searcher.facets()["country"][:2]
    answer = client.get("/api/search", params={"q": "justice", "k": 30, "country": ",".join(countries),
                                               "type": "commitment", "year": "2000-2100"}).json()
    assert answer["filters"]["country"] == ",".join(countries) and answer["filters"]["kind"] == "commitment"
    assert answer["results"]
    assert {r["country"] for r in answer["results"]} <= set(countries)
    assert {r["kind"] for r in answer["results"]} == {"commitment"}


def test_api_bad_input_is_a_400_with_a_json_message(served):
    _, searcher, client = served
    country = searcher.facets()["country"][0]
    typo = country[:-1] + ("x" if country[-1] != "x" else "y")
    response = client.get("/api/search", params={"q": "legal aid", "country": typo})
    assert response.status_code == 400 and country in response.json()["error"]
    for params, words in (({"q": "  "}, "question"), ({}, "q"), ({"q": "aid", "k": "many"}, "whole number"),
                          ({"q": "aid", "k": 0}, "between"), ({"q": "aid", "year": "soon"}, "year")):
        response = client.get("/api/search", params=params)
        assert response.status_code == 400, params
        assert words in response.json()["error"], (params, response.json())
    response = client.get("/api/compare", params={"q": "aid", "type": "report"})
    assert response.status_code == 400 and "commitments only" in response.json()["error"]


def test_api_is_documented_by_openapi(served):
    _, _, client = served
    spec = client.get("/api/openapi.json").json()
    assert {"/search", "/compare"} <= set(spec["paths"])
    names = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert names == {"q", "k", "country", "region", "year", "type", "policy_area", "lang"}
    assert client.get("/api/docs").status_code == 200


def test_api_needs_the_login_when_the_app_has_one(starter_index, starter_searcher):
    settings, _ = starter_index
    demo, base = _serve(starter_searcher, settings.corpus_dir, auth=("editor", "s3cret"))
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for path in ("/api/search?q=legal+aid", "/api/compare?q=legal+aid", "/api/openapi.json"):
                response = client.get(path)
                assert response.status_code == 401 and "log in" in response.json()["error"]
            assert client.post("/login", data={"username": "editor", "password": "wrong"}).status_code >= 400
            assert client.get("/api/search?q=legal+aid").status_code == 401
            assert client.post("/login", data={"username": "editor", "password": "s3cret"}).status_code == 200
            response = client.get("/api/search", params={"q": "legal aid", "k": 2})
            assert response.status_code == 200 and len(response.json()["results"]) == 2
    finally:
        demo.close()

