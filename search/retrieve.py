"""Find the passages that answer a question. ``Searcher.search`` is the pipeline: the question is
analysed once (search/query.py), candidates come from three retrievers (search/candidates.py),
are fused (search/fusion.py), re-ranked by the learned ranker (search/rerank.py) and become
places a reader is sent to (search/places.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from indexer.analysis import ANALYZER_VERSION, STEMMER_LANGUAGES, detect_language, split_words
from indexer.countries import COUNTRY_ALIASES
from indexer.embedding import encoder_for
from indexer.errors import IndexMismatchError, UnknownLanguageError
from indexer.records import DOCUMENT_KINDS
from indexer.settings import PACKAGED_MODEL_NAME, Settings
from indexer.store import IndexReader, IndexStatistics, StoredChunk, rebuild_hint
from indexer.wordpieces import WordPieces

from . import candidates, fusion, places
from .candidates import Candidates
from .filters import LANGUAGE_NAMES, LANGUAGE_OTHER_NAMES, Filters
from .hit import Hit, safe_url
from .query import Query, QueryAnalyser
from .rerank import Signals, leaders_of, load_ranker, reorder_head, signals_of, with_leaders
from .translate import TRANSLATABLE, MachineTranslation, Translator, question_versions

__all__ = ["Hit", "Searcher", "safe_url"]

#: A language holding less of the index than this is not worth translating every question into.
_LANGUAGE_SHARE = 0.01


class Searcher:
    """Answers questions from one index folder. Thread-safe; load once, ask many times.

    ``ranker_weights``: the learned ranker's weights to use instead of search/ranker.json (which
    are refused when fitted under other settings); benchmarks/train_ranker.py passes its own."""

    def __init__(self, index_dir: Path | str, settings: Settings | None = None, encoder=None,
                 ranker_weights: Mapping[str, float] | None = None, translator: Translator | None = None) -> None:
        self.settings = settings or Settings()
        #: The Apertium engine (None until one is needed); ``translator``: one to share, such as the
        #: previous generation's in a running app, so its warm pipelines and cache carry over.
        self.translator: Translator | None = translator
        #: Whether close() stops the engine's pipelines (not when it was handed in: its owner does).
        self.owns_translator = translator is None
        self.reader = IndexReader(index_dir, nprobe=self.settings.nprobe)
        try:
            self._check_index(index_dir)
            if ranker_weights is None and self.settings.rerank_depth:
                ranker = load_ranker()
                ranker.check(self.settings)
                ranker_weights = ranker.weights
        except BaseException:
            self.reader.close()
            raise
        #: The learned ranker's weights (signal name -> weight); unused when rerank_depth is 0.
        self.ranker_weights = dict(ranker_weights or {})
        manifest = self.reader.manifest
        # Questions are encoded by the model and runtime the index was built with, whatever the
        # settings say: int8 and fp32 vectors are close but not interchangeable.
        self.encoder = encoder or encoder_for(manifest.model, manifest.backend, self.settings)
        languages = tuple(lang for lang in self.reader.languages() if lang in STEMMER_LANGUAGES) or ("en",)
        #: The vectors of the passages rendered into the model's language at build time (indexer/bridge.py).
        self.bridges = candidates.Bridges.of(self.reader, self.settings.bridge_language)
        self.analyser = QueryAnalyser(languages, self.reader.countries(), self._question_translation(),
                                      self.bridges.language if len(self.bridges) else None)
        # The languages whose translations are encoded for the dense side (None: every one).
        self._dense_languages = (None if self.settings.translate_dense == "all" else
                                 frozenset(v.strip() for v in self.settings.translate_dense.split(",") if v.strip())
                                 - {"off"})
        #: The model's word-piece table with its tokenizer, for the ranker's word match (None in an
        #: index built before the table existed: the signal is then 0, until the next build adds it).
        table = self.reader.word_pieces if self.settings.rerank_depth else None
        self.word_pieces = WordPieces(table, self.encoder.tokenizer) if table is not None else None
        # The chunks of each language a translated question is searched among (the index never changes).
        self._language_chunks: dict[str, np.ndarray] = {}
        # One question is one vector: FAISS's OpenMP threads only add wake-up jitter (p95 of the
        # vector search 7.9 ms with them, 0.13 ms without, measured on 2 cores with 3,299 chunks).
        import faiss

        faiss.omp_set_num_threads(1)
        self._encoding_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="question-encoder")

    def _question_translation(self) -> Callable[[str], dict[str, str]] | None:
        """question -> {language: text} in the index's languages, or None when the index holds one
        language, translation is off, or Apertium is not installed (which is said once, in the log)."""
        if self.settings.translate_questions != "on":
            return None
        wanted = tuple(v.strip() for v in self.settings.question_languages.split(",") if v.strip())
        if not wanted:
            counts = self.reader.statistics().chunks_by_language
            total = sum(n for _, n in counts) or 1
            wanted = tuple(lang for lang, n in counts if n / total >= _LANGUAGE_SHARE and lang in TRANSLATABLE)
        if len(wanted) < 2:
            return None
        translator = self.translator or Translator()
        if not translator.available():
            return lambda text, targets=(): question_versions(text, wanted, None)  # logs how to install, once
        self.translator = translator
        return lambda text, targets=(): question_versions(text, wanted, translator, targets)

    def _check_index(self, index_dir: Path | str) -> None:
        manifest = self.reader.manifest
        if self.settings.model not in (PACKAGED_MODEL_NAME, manifest.model):
            raise IndexMismatchError(
                f"The index at {index_dir} was built with model '{manifest.model}' but the settings ask for "
                f"'{self.settings.model}': rebuild the index with that model, or drop the model setting.")
        if not self.reader.has_postings:
            raise IndexMismatchError(
                f"The index at {index_dir} was built before its keyword postings existed; "
                f"{rebuild_hint(Path(index_dir))} once to add them.")

    @property
    def manifest(self):
        return self.reader.manifest

    @property
    def update_hint(self) -> str | None:
        """What to run when the index predates this version's keyword analysis (it still answers,
        but a question's words in the other spelling miss its keyword terms) or its word-piece table
        (the ranker's word match is then 0); None when current."""
        if self.manifest.analyzer != ANALYZER_VERSION:
            return (f"note: the index at {self.reader.index_dir} was built by an earlier version; it answers, but "
                    f"run `python -m indexer build --index {self.reader.index_dir}` once to update its keyword index.")
        if len(self.bridges) and not self.reader.has_rendering_postings:
            return (f"note: the index at {self.reader.index_dir} was built by an earlier version; it answers, but "
                    f"run `python -m indexer build --index {self.reader.index_dir}` once to index the words of its "
                    f"passages' renderings (nothing is re-read or re-embedded).")
        if self.settings.rerank_depth and self.word_pieces is None:
            return (f"note: the index at {self.reader.index_dir} was built by an earlier version; it answers, but "
                    f"run `python -m indexer build --index {self.reader.index_dir}` once to add the model's word "
                    f"pieces the ranking uses (nothing is re-read or re-embedded).")
        return None

    def warm_up(self) -> None:
        """Load the model and start the translation pipelines now (they otherwise start on the first
        question, which would wait for them)."""
        self.encode_query("warm up")
        self.analyse("warm up")

    def encode_query(self, query: str) -> np.ndarray:
        vector = self.encoder.encode([query])
        if vector.shape[1] != self.manifest.dimension:
            raise IndexMismatchError(
                f"The model gives {vector.shape[1]}-dimensional vectors but the index holds "
                f"{self.manifest.dimension}: rebuild the index."
            )
        return vector

    def facets(self) -> dict[str, list]:
        """The values each filter can take in this index (and the years present), sorted."""
        return self.reader.facets()

    def statistics(self) -> IndexStatistics:
        """What the index holds, for a status panel (safe from any thread)."""
        return self.reader.statistics()

    def sources(self) -> frozenset[str]:
        """The indexed files' paths, relative to the corpus folder (safe from any thread)."""
        return self.reader.sources()

    def check_filters(self, filters: Filters) -> Filters:
        """``filters`` spelt as this index spells its values ("cote d'ivoire" -> "Côte d'Ivoire",
        "UK" -> "United Kingdom"); UnknownFilterValueError, with suggestions, for a value it
        does not hold. ``search`` itself takes any value (an unknown one matches nothing)."""
        facets = self.facets()
        facets["kind"] = sorted({*facets["kind"], *DOCUMENT_KINDS})
        languages = {name: code for code, name in LANGUAGE_NAMES.items()} | LANGUAGE_OTHER_NAMES
        return filters.matched_to(facets, {"country": COUNTRY_ALIASES, "language": languages})

    def analyse(self, question: str, filters: Filters | None = None) -> Query:
        """The question as every stage reads it."""
        return self.analyser.analyse(question, filters)

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` that satisfy ``filters``, best first."""
        text = (query or "").strip()
        if not split_words(text):  # "", "???": nothing to search for
            return []
        question = self.analyse(text, filters)
        # The question is encoded in another thread while this one runs the keyword searches:
        # ONNX Runtime and SQLite both release the GIL, so the two overlap.
        vector_soon = self._encoding_pool.submit(self.encode_query, text)
        try:
            return self._answer(question, k or self.settings.results, vector_soon)
        finally:
            vector_soon.cancel()

    def _answer(self, query: Query, k: int, vector_soon: Future) -> list[Hit]:
        """candidates -> fusion -> re-ranking -> places, looking deeper while places are short."""
        allowed = self.reader.allowed_chunks(query.filters) if query.filters.active else None
        if allowed is not None and not len(allowed):
            return []
        dense_languages = self._dense_languages
        vectors_soon = {v.language: self._encoding_pool.submit(self.encode_query, v.text) for v in query.versions
                        if dense_languages is None or v.language in dense_languages}
        exact = candidates.exact(self.reader, query)
        reachable = self.reader.vectors.ntotal if allowed is None else len(allowed)
        depth = max(self.settings.candidates, 3 * k)
        # A record is shown in the question's language unless the language filter leaves that language out.
        shown_in = (query.asked_in or None) if not query.filters.language or query.asked_in in query.filters.language else None
        while True:
            keyword = candidates.keyword(self.reader, query, depth, allowed) if self.settings.keyword_weight else {}
            prepared = places.read_ahead(self.reader, vector_soon, query.text, exact, keyword)
            vector = vector_soon.result()
            found = Candidates(candidates.dense(self.reader, vector, depth, allowed), keyword, exact)
            vectors = {language: soon.result() for language, soon in vectors_soon.items()}
            if query.versions:
                found = candidates.with_versions(self.reader, query, found, vectors, depth,
                                                 self._chunks_in_languages(query, allowed))
            found = candidates.with_bridges(found, self.bridges, query,
                                            candidates.bridge_vector(query, vector, vectors, self.bridges), depth,
                                            allowed, self._in_language(query.asked_in))
            found = candidates.with_renderings(self.reader, query, found, depth, allowed)
            fused = fusion.fuse(found, self.settings)
            # Each ranking's best passages, which the ranker reads wherever fusion put them.
            leaders = leaders_of(found.rankings(), self.settings.rerank_leaders) if self.settings.rerank_depth else []
            named = self._named(query, fused, leaders)
            fused = fusion.named_bonus(fused, named, self.settings)
            ranked = self._reranked(query, vector, fused, found, named, prepared.chunks, vectors, leaders)
            # Neighbours are joined by how close their fused scores are, whatever the ranker's order.
            hits = places.places(self.reader, query.text, ranked, k, self.settings.join_adjacent, prepared,
                                 join_scores=dict(fused), versions={v.language: v.text for v in query.versions},
                                 matched=found.matched if query.versions else None, asked_in=query.asked_in or None,
                                 show_in=shown_in)
            # Several chunks of one long document count once: when that leaves fewer than k
            # places, look deeper rather than return short.
            if len(hits) >= k or depth >= reachable:
                return hits
            depth *= 4

    def _chunks_in_languages(self, query: Query, allowed: np.ndarray | None) -> dict[str, np.ndarray]:
        """language -> the chunk ids a version in that language is searched among (the filters'
        ``allowed`` ones in that language); a language the filters leave out gets none."""
        out = {}
        for version in query.versions:
            language = version.language
            if query.filters.language and language not in query.filters.language:
                continue
            if language not in self._language_chunks:
                self._language_chunks[language] = self.reader.allowed_chunks(Filters(language=(language,)))
            ids = self._language_chunks[language]
            out[language] = ids if allowed is None else np.intersect1d(ids, allowed, assume_unique=True)
        return out

    def _in_language(self, language: str) -> Callable[[list[int]], set[int]]:
        """ids -> those of them written in ``language``."""
        def written_in(ids: list[int]) -> set[int]:
            if language not in self._language_chunks:
                self._language_chunks[language] = self.reader.allowed_chunks(Filters(language=(language,)))
            ids_array = np.asarray(ids, dtype=np.int64)
            return set(ids_array[np.isin(ids_array, self._language_chunks[language])].tolist())
        return written_in

    def _named(self, query: Query, fused: list[tuple[int, float]], leaders: Sequence[int] = ()) -> dict[int, int]:
        """chunk id -> how many of the country and year the question names its document has, for
        the candidates the fusion bonus and the ranker look at (``leaders`` too, wherever they are;
        none when it names neither)."""
        if not query.names_place_or_time:
            return {}
        depth = max(self.settings.candidates, self.settings.rerank_depth)
        ids = dict.fromkeys([*(cid for cid, _ in fused[:depth]), *leaders])
        places_of = self.reader.country_and_year(list(ids))
        return {cid: query.named_count(country, year) for cid, (country, year) in places_of.items()}

    def _reranked(self, query: Query, vector: np.ndarray, fused: list[tuple[int, float]], found: Candidates,
                  named: dict[int, int], chunks: dict[int, StoredChunk],
                  vectors: Mapping[str, np.ndarray] | None = None, leaders: Sequence[int] = ()) -> list[tuple[int, float]]:
        if not self.settings.rerank_depth:
            return fused
        fused, depth = with_leaders(fused, self.settings.rerank_depth, leaders)
        return reorder_head(fused, depth, found.exact,
                            lambda head: self.ranking_signals(query, vector, head, found, named, chunks, vectors),
                            self.ranker_weights)

    def ranking_signals(self, query: Query, vector: np.ndarray, head: list[tuple[int, float]], found: Candidates,
                        named: dict[int, int], chunks: dict[int, StoredChunk],
                        vectors: Mapping[str, np.ndarray] | None = None) -> list[Signals]:
        """The ranker's signals of each of the fused candidates in ``head`` (search/rerank.py)."""
        return signals_of(self.reader, query, vector, head, found, named, chunks, self.settings, vectors,
                          self.bridges, self.word_pieces)

    def translate(self, hit: Hit, target: str) -> MachineTranslation:
        """``hit``'s passage machine-translated into ``target`` (for reading only: the original stays
        the quoted, cited text). TranslationError when Apertium is missing or cannot reach ``target``;
        UnknownLanguageError (one) when the passage's language cannot be told."""
        source = hit.provenance.language or hit.language
        if source not in TRANSLATABLE:
            # A heading or a list too short to tell ("und") may still read as one of the engine's
            # languages once the whole passage is looked at.
            source = detect_language(hit.text)
            if source not in TRANSLATABLE:
                raise UnknownLanguageError(f"this passage's language could not be told (it reads as {source!r}), "
                                           f"so it is shown only as written")
        if source == target:
            return MachineTranslation(hit.text, source, target, engine="none (same language)")
        if self.translator is None:
            self.translator = Translator()
        return self.translator.translate_passage(hit.text, source, target, terms=True)

    def document_text(self, document_id: int) -> str:
        """The whole page, section or commitment a hit comes from (for a "show source" view)."""
        return self.reader.document_text(document_id)

    def close(self) -> None:
        self._encoding_pool.shutdown(wait=True)
        if self.translator is not None and self.owns_translator:
            self.translator.close()
        self.reader.close()
