"""Index a justice-policy corpus (PDF reports, guide pages, OGP commitments) for cited search."""

from __future__ import annotations

from .build import BuildReport, build_index
from .errors import IndexerError
from .records import Chunk, Document, Provenance, citation_label
from .settings import Settings, load_settings
from .store import IndexManifest, IndexReader

__all__ = [
    "BuildReport",
    "build_index",
    "IndexerError",
    "Chunk",
    "Document",
    "Provenance",
    "citation_label",
    "Settings",
    "load_settings",
    "IndexManifest",
    "IndexReader",
]
__version__ = "0.1.0"
