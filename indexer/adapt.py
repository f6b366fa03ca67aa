"""Adapt the embedding model to one collection: a short contrastive fine-tune on questions made
from the index's own passages, run by ``python -m indexer adapt``.

Why: the packaged model was trained on general web text; OGP commitments, action plans and court
reports use their own words ("people-centred justice", "co-creation", "self-assessment"). No
question written by anyone is needed: each passage gives one training pair, one of its sentences
as the question and the rest of the passage (with its document's title) as the answer, so the
match cannot be made on the sentence's own words. Passages in other languages take part through
their renderings (indexer/bridge.py), in the model's language. The other passages of a batch are
the wrong answers (in-batch negatives, the loss sentence-transformers calls
MultipleNegativesRankingLoss), which needs no labels either.

The loop is written here with torch rather than through sentence-transformers' trainer, which
would pull in ``datasets`` and ``accelerate`` for one epoch over a few thousand pairs.

Data flows one way: index (read) -> pairs -> fine-tuned model folder with ``adapted.json`` (what it
was adapted from and on). The index is not touched; building an index with the new model
(``--model FOLDER``) re-embeds every passage, and that index records the model it used.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from .chunking import split_sentences
from .embedding import resolve_model_path
from .errors import AdaptError
from .settings import Settings
from .store import IndexReader

__all__ = ["AdaptReport", "training_pairs", "adapt_model", "PROVENANCE_FILE"]

#: Written into the adapted model's folder: what it was adapted from and on.
PROVENANCE_FILE = "adapted.json"
#: A passage shorter than this (in words) is too short to lose a sentence and still be an answer.
MIN_PASSAGE_WORDS = 40
#: A question sentence has this many words: shorter ones are headings, longer ones lists.
QUESTION_WORDS = (6, 40)
#: Below this many pairs a fine-tune learns the passages rather than the collection's language.
FEWEST_PAIRS = 16
BATCH_SIZE = 32
MAX_TOKENS = 256
LEARNING_RATE = 2e-5
#: The loss compares cosine similarities multiplied by this (sentence-transformers' default scale).
SCALE = 20.0


@dataclass(frozen=True)
class AdaptReport:
    """What ``adapt_model`` did: written, as JSON, into the model folder too."""

    model: str  # the adapted model's folder
    base_model: str  # the model it started from (the one the index was built with)
    index: str
    corpus: str | None  # the corpus folder as the index's manifest records it (relative to the index)
    language: str  # the language the passages were read in (renderings for the others)
    passages: int  # passages readable in that language
    pairs: int  # training pairs made from them (one per long enough passage, up to the limit)
    steps: int
    batch_size: int
    max_tokens: int
    learning_rate: float
    seed: int
    first_loss: float  # mean loss over the first tenth of the steps
    last_loss: float  # and over the last tenth
    seconds: float
    adapted_at: str


def training_pairs(passages: Iterable[tuple[str, str, bool]], seed: int = 0,
                   limit: int | None = None) -> list[tuple[str, str]]:
    """(question, answer) pairs from ``(title, text, rendered)`` passages: one sentence of each long
    enough passage as the question, the passage without it as the answer (the document's title first,
    except for a rendering: its title was written in the other language). Shuffled, at most ``limit``."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    low, high = QUESTION_WORDS
    for title, text, rendered in passages:
        if len(text.split()) < MIN_PASSAGE_WORDS:
            continue
        sentences = [text[a:b] for a, b, _ in split_sentences(text) if low <= len(text[a:b].split()) <= high]
        if not sentences:
            continue
        question = rng.choice(sentences)
        rest = text.replace(question, " ")
        pairs.append((question, f"{title}\n{rest}" if title and not rendered else rest))
    rng.shuffle(pairs)
    return pairs[:limit] if limit is not None else pairs


def adapt_model(settings: Settings, out: Path | str, limit: int | None = 10_000, seed: int = 0,
                progress: bool = True) -> AdaptReport:
    """Fine-tune the model ``settings.index_dir``'s index was built with on pairs made from its
    passages, and write it to ``out`` (a new folder, or one an earlier adapt wrote)."""
    out = Path(out).resolve()  # the index built with it records this path: it must not depend on where one stands
    if out.exists() and not (out / PROVENANCE_FILE).is_file():
        raise AdaptError(f"{out} exists and is not a model this command wrote; choose a new folder for the adapted "
                         "model.")
    reader = IndexReader(settings.index_dir)
    try:
        base = reader.manifest.model
        corpus = reader.manifest.corpus  # relative to the index folder, as the manifest records it
        # The model's language: passages in others take part through their renderings. With
        # renderings off (a multilingual model) every passage takes part as written.
        if settings.bridge_language == "off":
            language = "all"
            passages = reader.passages_in(None)
        else:
            language = settings.bridge_language
            passages = reader.passages_in(language)
    finally:
        reader.close()
    pairs = training_pairs(passages, seed=seed, limit=limit)
    if len(pairs) < FEWEST_PAIRS:
        raise AdaptError(
            f"The index at {settings.index_dir} gives only {len(pairs)} training pair(s) (passages of at least "
            f"{MIN_PASSAGE_WORDS} words; {FEWEST_PAIRS} needed): adapting the model needs a larger collection. "
            "Add documents and build again, or keep the packaged model.")
    started = time.monotonic()
    # Written beside ``out`` and moved into place whole, its record included, so an interrupted
    # run leaves ``out`` as it was.
    work = out.with_name(f".{out.name}.partial")
    shutil.rmtree(work, ignore_errors=True)
    losses = _fine_tune(resolve_model_path(base), pairs, seed, work, progress)
    tenth = max(1, len(losses) // 10)
    report = AdaptReport(
        model=str(out), base_model=base, index=str(settings.index_dir), corpus=corpus, language=language,
        passages=len(passages), pairs=len(pairs), steps=len(losses), batch_size=BATCH_SIZE, max_tokens=MAX_TOKENS,
        learning_rate=LEARNING_RATE, seed=seed, first_loss=round(sum(losses[:tenth]) / tenth, 4),
        last_loss=round(sum(losses[-tenth:]) / tenth, 4), seconds=round(time.monotonic() - started, 1),
        adapted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    (work / PROVENANCE_FILE).write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    os.replace(work, out)
    return report


def _fine_tune(base_path: str, pairs: list[tuple[str, str]], seed: int, folder: Path, progress: bool) -> list[float]:
    """One epoch over ``pairs``, the model saved into ``folder``; the loss of each step."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    model = SentenceTransformer(base_path, device="cpu")
    model.max_seq_length = MAX_TOKENS
    model.train()
    steps = len(pairs) // BATCH_SIZE or 1
    warmup = max(1, steps // 10)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)

    def rate(step: int) -> float:  # linear warm-up over a tenth of the steps, then linear decay to 0
        return (step + 1) / warmup if step < warmup else max(0.0, (steps - step) / max(1, steps - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    cross_entropy = torch.nn.CrossEntropyLoss()
    losses: list[float] = []
    bar = tqdm(total=steps, desc="Adapting the model", unit="step", disable=not progress)
    for step in range(steps):
        batch = pairs[step * BATCH_SIZE:(step + 1) * BATCH_SIZE]
        questions = _embed(model, [q for q, _ in batch])
        answers = _embed(model, [a for _, a in batch])
        # Each question's own answer is the right one among the batch's answers.
        loss = cross_entropy(questions @ answers.T * SCALE, torch.arange(len(batch)))
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss.item()))
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
    bar.close()
    model.eval()
    model.save(str(folder))
    return losses


def _embed(model, texts: list[str]):
    import torch

    features = model.tokenize(texts) if not hasattr(model, "preprocess") else model.preprocess(texts)
    return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
