"""Text for PDF pages that have none: the page is rendered (pypdfium2) and read by Tesseract.

Scanned action plans and court circulars are images of pages; without OCR they are refused or
lose pages. OCR is slow (seconds a page), so every result is cached by the file's SHA-256, the
page, the languages and the resolution: a rebuild, or the same file under another name, never
reads a page twice. Tesseract is a Debian program (``tesseract-ocr`` plus a data package per
language), called as a subprocess; when it is missing the pages are reported as before, with the
command that installs it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["INSTALL_COMMAND", "OcrOptions", "PageReader", "tesseract_languages", "tesseract_code"]

INSTALL_COMMAND = ("apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa tesseract-ocr-fra "
                   "tesseract-ocr-por")

#: ISO 639-1 (what sidecars and language detection say) -> Tesseract's language data names.
_TESSERACT_CODES = {"en": "eng", "es": "spa", "fr": "fra", "pt": "por", "de": "deu", "it": "ita", "nl": "nld"}
#: Languages of the first pass on a file that says nothing about its language.
_DETECTION_LANGUAGES = ("eng", "spa", "fra")


@dataclass(frozen=True)
class OcrOptions:
    """How pages without a text layer are read (the ``ocr*`` and ``cache_dir`` settings)."""

    enabled: bool = True
    languages: str = ""  # Tesseract codes joined by "+", e.g. "spa"; "" picks them per file
    cache_dir: Path | None = Path("~/.cache/justice-search/ocr")
    dpi: int = 300
    seconds_per_page: float = 120.0

    @classmethod
    def from_settings(cls, settings) -> OcrOptions:
        """The options the build's ``Settings`` ask for; OCR results go under ``cache_dir/ocr``."""
        return cls(enabled=settings.ocr == "on", languages=settings.ocr_languages,
                   cache_dir=Path(settings.cache_dir).expanduser() / "ocr", dpi=settings.ocr_dpi)


def tesseract_languages() -> set[str]:
    """Language data Tesseract has installed (empty when Tesseract itself is missing)."""
    if not shutil.which("tesseract"):
        return set()
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {line.strip() for line in out.splitlines()[1:] if line.strip() and line.strip() != "osd"}


def tesseract_code(language: str | None) -> str | None:
    """Tesseract's name for an ISO 639-1 code or a Tesseract code ("es" and "spa" -> "spa")."""
    if not language:
        return None
    language = language.strip().lower()
    return _TESSERACT_CODES.get(language[:2] if len(language) in (2, 5) else language,
                                language if len(language) == 3 else None)


class PageReader:
    """Reads pages of one PDF by OCR, from the cache when a page was read before."""

    def __init__(self, path: Path, options: OcrOptions) -> None:
        self.path = path
        self.options = options
        self.installed = tesseract_languages()
        self._sha256: str | None = None
        self._pdf = None
        self.pages_read = 0  # pages Tesseract actually ran on (cache misses)

    @property
    def available(self) -> bool:
        return self.options.enabled and bool(self.installed)

    def usable(self, wanted: str) -> str:
        """``wanted`` ("spa+eng") less the languages Tesseract lacks; English when none is left."""
        have = [code for code in wanted.split("+") if code in self.installed]
        return "+".join(have) or ("eng" if "eng" in self.installed else sorted(self.installed)[0])

    def detection_languages(self) -> str:
        return self.usable("+".join(_DETECTION_LANGUAGES))

    def read(self, index: int, languages: str) -> str:
        """The text of page ``index`` (0-based) read in ``languages`` (Tesseract codes joined by "+")."""
        cached = self._cache_path(index, languages)
        if cached is not None and cached.is_file():
            return cached.read_text(encoding="utf-8")
        text = self._run_tesseract(self._render(index), languages)
        self.pages_read += 1
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, cached)  # a reader never sees half a result
        return text

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    def _cache_path(self, index: int, languages: str) -> Path | None:
        if self.options.cache_dir is None:
            return None
        if self._sha256 is None:
            digest = hashlib.sha256()
            with self.path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            self._sha256 = digest.hexdigest()
        folder = Path(self.options.cache_dir).expanduser() / self._sha256[:2] / self._sha256
        return folder / f"page-{index + 1}-{languages}-{self.options.dpi}dpi.txt"

    def _render(self, index: int) -> bytes:
        """The page as a greyscale PNG at the options' resolution."""
        import pypdfium2

        if self._pdf is None:
            self._pdf = pypdfium2.PdfDocument(str(self.path))
        page = self._pdf[index]
        try:
            image = page.render(scale=self.options.dpi / 72, grayscale=True).to_pil()
        finally:
            page.close()
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()

    def _run_tesseract(self, png: bytes, languages: str) -> str:
        # One thread: Tesseract's OpenMP threads slow it down on a couple of shared cores.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        done = subprocess.run(["tesseract", "stdin", "stdout", "-l", languages, "--psm", "3"], input=png,
                              capture_output=True, timeout=self.options.seconds_per_page, env=env)
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(lines[-1] if lines else f"tesseract exited with {done.returncode}")
        return done.stdout.decode("utf-8", "replace")
