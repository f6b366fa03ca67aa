"""The build's word-piece table, and the soft word match the ranker reads from it.

A passage's one vector says what it is about; it cannot say whether the question's particular
words are in it. The keyword side can, but only for the same word in the same form ("courts" finds
"court" through the stemmer, never "tribunal" or "judiciary"). Between the two sits a match of
each of the question's word pieces against the closest word piece of the passage, measured by the
embedding model itself: each of the model's word pieces is embedded on its own, once, and kept in
the index. Comparing the tables' rows needs no model run at search time, only the tokenizer.

The table depends on the model alone, so a build makes it once (or, for an index built before it
existed, on its next build, nothing re-embedded) and every later generation copies it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .embedding import Encoder, cache_name
from .store import IndexWriter

__all__ = ["piece_table", "add_word_pieces", "WordPieces"]

#: Word pieces embedded per encoder call (one progress tick).
_BATCH = 2048


def _template(tokenizer) -> tuple[list[int], list[int]]:
    """The special tokens the model puts around a text, before and after it ([CLS] and [SEP] for
    BERT-like models), found by where a one-piece text lands in its encoding."""
    bare = tokenizer.encode("a", add_special_tokens=False).ids
    full = tokenizer.encode("a", add_special_tokens=True).ids
    for at in range(len(full) - len(bare) + 1):
        if full[at:at + len(bare)] == bare:
            return full[:at], full[at + len(bare):]
    return [], []


def piece_table(encoder: Encoder, progress: Callable[[int], None] | None = None) -> np.ndarray:
    """One normalised row (float16) for each word piece of ``encoder``'s vocabulary: the model's
    vector of that piece alone between its special tokens."""
    tokenizer = encoder.tokenizer
    before, after = _template(tokenizer)
    size = tokenizer.get_vocab_size()
    rows = []
    for first in range(0, size, _BATCH):
        pieces = range(first, min(first + _BATCH, size))
        # The texts are for a backend that tokenises itself; one that takes the ids gets the piece exactly.
        texts = [tokenizer.id_to_token(p) or "" for p in pieces]
        ids = [[*before, p, *after] for p in pieces]
        rows.append(encoder.encode([t.removeprefix("##") for t in texts], token_ids=ids).astype(np.float16))
        if progress:
            progress(len(pieces))
    return np.vstack(rows) if rows else np.zeros((0, encoder.dimension), dtype=np.float16)


_made: dict[tuple[str, str], np.ndarray] = {}
_making = threading.Lock()


def _cache_file(encoder: Encoder, cache_dir: Path | str | None) -> Path | None:
    """Where the table of ``encoder`` is kept between processes: beside an ONNX export, or under
    ``cache_dir`` for a backend without a folder of its own (None: not kept)."""
    backend = getattr(encoder, "backend", "torch")
    folder = getattr(encoder, "folder", None)
    if isinstance(folder, Path):
        return folder / f"word-pieces-{backend}.npy"
    if cache_dir is None:
        return None
    return Path(os.path.expanduser(str(cache_dir))) / "word-pieces" / f"{cache_name(encoder.name)}-{backend}.npy"


def _cached_table(encoder: Encoder, progress: bool, cache_dir: Path | str | None = None) -> np.ndarray:
    """``piece_table`` of ``encoder``, made once per process and once per machine (kept in the
    cache folder): it depends on the model alone."""
    file = _cache_file(encoder, cache_dir)
    key = (encoder.name, str(file or id(encoder)))
    with _making:
        if key in _made:
            return _made[key]
        table = None
        if file is not None and file.is_file():
            try:
                table = np.load(file)
            except (OSError, ValueError):
                table = None  # a damaged copy is made again below
        if table is None:
            with tqdm(total=encoder.tokenizer.get_vocab_size(), desc="Embedding the model's word pieces",
                      unit="piece", disable=not progress) as bar:
                table = piece_table(encoder, bar.update)
            if file is not None:
                _keep(table, file)
        _made[key] = table
        return table


def _keep(table: np.ndarray, file: Path) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(suffix=".npy", dir=file.parent)
    except OSError:
        return  # no cache, still a table
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, table)
        os.replace(temporary, file)  # atomic: another build never reads half a table
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def add_word_pieces(writer: IndexWriter, encoder: Encoder, progress: bool = True,
                    cache_dir: Path | str | None = None) -> int:
    """Give the index being written the model's word-piece table unless it has it (an index keeps
    it from one generation to the next), and record the distinct word pieces of every passage that
    has none recorded (the new files' passages, or all of them the first time); how many pieces the
    table gained."""
    added = 0
    if not writer.has_word_pieces():
        table = _cached_table(encoder, progress, cache_dir)
        writer.set_word_pieces(table)
        added = len(table)
    pending = list(writer.chunks_without_pieces())
    if pending:
        tokenizer = encoder.tokenizer
        for first in range(0, len(pending), _BATCH):
            part = pending[first:first + _BATCH]
            encodings = tokenizer.encode_batch([text for _, text in part], add_special_tokens=False)
            writer.set_chunk_pieces([(cid, np.unique(e.ids)) for (cid, _), e in zip(part, encodings)])
    return added


class WordPieces:
    """The index's word-piece table and the model's tokenizer: how closely a passage's words match
    a question's."""

    #: Texts whose pieces are remembered (a question's translations come back with it).
    REMEMBERED = 4096

    def __init__(self, table: np.ndarray, tokenizer) -> None:
        self.table = table
        self.tokenizer = tokenizer
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def pieces(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The distinct word pieces of each text, sorted (tokenised together in one call): a
        question's and its translations', and the renderings of passages in other languages (a
        passage's own are recorded by the build)."""
        with self._lock:
            known = {text: self._known[text] for text in texts if text in self._known}
        new = [text for text in dict.fromkeys(texts) if text not in known]
        if new:
            found = {text: np.unique(np.asarray(e.ids, dtype=np.int64))
                     for text, e in zip(new, self.tokenizer.encode_batch(new, add_special_tokens=False))}
            known.update(found)
            with self._lock:
                if len(self._known) + len(found) > self.REMEMBERED:
                    self._known.clear()
                self._known.update(found)
        return [known[text] for text in texts]

    def match(self, question: str, passages: Sequence[np.ndarray]) -> list[float]:
        """For each passage (its distinct word pieces), the mean over the question's word pieces of
        the cosine of the passage's closest one (1 when every piece is in it; 0 for an empty passage)."""
        wanted = self.pieces([question])[0]
        wanted, held = wanted[wanted < len(self.table)], [h[h < len(self.table)] for h in passages]
        if not len(wanted) or not held:
            return [0.0] * len(passages)
        every = np.unique(np.concatenate(held)) if any(len(h) for h in held) else np.zeros(0, dtype=np.int64)
        if not len(every):
            return [0.0] * len(passages)
        # One product for all the candidates: each question piece against every piece they hold.
        closeness = self.table[wanted].astype(np.float32) @ self.table[every].astype(np.float32).T
        scores = []
        for pieces in held:
            if not len(pieces):
                scores.append(0.0)
                continue
            columns = np.searchsorted(every, pieces)
            scores.append(float(closeness[:, columns].max(axis=1).mean()))
        return scores
