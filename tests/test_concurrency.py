"""Searches answered side by side (the app's queue runs several at once, the JSON API one per
request thread) give what they give one at a time: nothing a question's analysis shares between
threads may carry one question's state into another's."""

from __future__ import annotations

import random
import string
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from indexer import analysis
from search.translate import detect_question_language


@pytest.fixture
def frequent_thread_switches():
    """Threads switch every microsecond instead of every 5 ms, so a race shows in a short test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _side_by_side(work, items, threads: int = 8) -> list:
    """``work`` over each thread's shuffled copy of ``items``, all threads at once; [(item, result)]."""
    start = threading.Barrier(threads)

    def run(seed: int) -> list:
        mine = list(items)
        random.Random(seed).shuffle(mine)
        start.wait()
        out = []
        for item in mine:
            try:
                out.append((item, work(item)))
            except Exception as exc:  # noqa: BLE001 - a race may raise; that is a wrong answer too
                out.append((item, f"{type(exc).__name__}: {exc}"))
        return out

    with ThreadPoolExecutor(threads) as pool:
        return [pair for part in pool.map(run, range(threads)) for pair in part]


def test_keyword_terms_from_threads_side_by_side_are_the_same(frequent_thread_switches):
    """Snowball stemmers keep the word being cut in themselves: shared between threads, they gave
    one thread's stems to another, or an IndexError."""
    rng = random.Random(3)
    suffixes = ("ational", "izations", "fulness", "ements", "ically", "iveness", "ousness", "ing", "ies")
    words = sorted({"".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 8))) + rng.choice(suffixes)
                    for _ in range(3000)})
    analysis._stem.cache_clear()
    expected = {w: analysis.keyword_terms(w, "en") for w in words}
    analysis._stem.cache_clear()  # every thread cuts the words again, none reads another's cached stem
    wrong = [(w, got) for w, got in _side_by_side(lambda w: analysis.keyword_terms(w, "en"), words)
             if got != expected[w]]
    assert not wrong, f"{len(wrong)} of {8 * len(words)} stems differ, e.g. {wrong[:3]}"


def test_question_language_from_threads_side_by_side_is_the_same(frequent_thread_switches):
    """The language identifier is restricted to the languages asked about; threads asking about
    different languages must not restrict it under one another."""
    french = "quels pays ont élargi l'aide juridictionnelle gratuite pour les personnes détenues ?"
    spanish = "¿qué países ampliaron la asistencia jurídica gratuita para las personas detenidas?"
    # The same question is French among en/fr and not among en/es: an identifier restricted by
    # another thread in between answers the other way.
    questions = [(french, ("en", "fr")), (french, ("en", "es")), (spanish, ("en", "es")), (spanish, ("en", "fr")),
                 (french, ("es", "pt")), (spanish, ("fr", "pt"))] * 200
    detect = lambda q: detect_question_language(q[0], languages=q[1])  # noqa: E731
    expected = {q: detect(q) for q in questions}
    assert expected[(french, ("en", "fr"))] == "fr" and expected[(french, ("en", "es"))] != "fr"
    wrong = [(q, got) for q, got in _side_by_side(detect, questions) if got != expected[q]]
    assert not wrong, wrong[:3]


def test_searches_side_by_side_answer_as_one_at_a_time(starter_searcher, frequent_thread_switches):
    questions = ["who can get free legal aid", "community paralegals and legal empowerment", "publishing court data",
                 "revise the right to information law in Albania", "mediation instead of court",
                 "¿quién tiene derecho a asistencia jurídica gratuita?", "protection orders for women"]
    expected = {q: [h.to_dict() for h in starter_searcher.search(q, 5)] for q in questions}
    analysis._stem.cache_clear()
    wrong = [q for q, got in _side_by_side(lambda q: [h.to_dict() for h in starter_searcher.search(q, 5)],
                                           questions * 3, threads=6) if got != expected[q]]
    assert not wrong, wrong
