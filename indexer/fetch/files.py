"""Files in the corpus: atomic writes, sidecars, and saving a download only when it changed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..loaders import SIDECAR_SUFFIX

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_sidecar_path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _dump(data: dict[str, Any]) -> bytes:
    return (json.dumps({k: v for k, v in data.items() if v not in (None, "")}, indent=2, ensure_ascii=False)
            + "\n").encode("utf-8")


def _store(path: Path, body: bytes, sidecar: dict[str, Any], same: Callable[[bytes, bytes], bool] | None = None,
           ) -> str:
    """Save a document and its sidecar; 'new', 'updated' or 'unchanged'.

    Unchanged (the same SHA-256, or ``same(held, new)`` says the difference does not matter):
    the document is not rewritten, and the sidecar only if its bookkeeping changed (e.g. a new ETag).
    """
    sha = _sha256(body)
    existed = path.is_file()
    old = _read_sidecar(path) if existed else {}
    sidecar = {**sidecar, "sha256": sha, "bytes": len(body)}
    held_sha = _file_sha256(path) if existed else None
    if existed and held_sha != sha and same is not None:
        with contextlib.suppress(OSError):
            held = path.read_bytes()
            if same(held, body):
                sidecar.update(sha256=held_sha, bytes=len(held))
                sha = held_sha
    if existed and held_sha == sha:
        sidecar["fetched_at"] = old.get("fetched_at") or _now()
        if _dump(sidecar) != _dump(old):
            _atomic_write(_sidecar_path(path), _dump(sidecar))
        return "unchanged"
    sidecar["fetched_at"] = _now()
    _atomic_write(path, body)
    _atomic_write(_sidecar_path(path), _dump(sidecar))
    return "updated" if existed else "new"

