"""Machine translation with Apertium, kept warm: the engine both the build and search use.

The build renders passages in other languages into the embedding model's language (indexer/bridge.py);
search translates questions into the index's languages and passages for reading (search/translate.py).
Starting ``apertium`` per call costs about 0.2 s, so each direction's pipeline runs as long-lived
processes in null-flush mode (every stage with ``-z``): one NUL-terminated text in, one out. Each
pipeline has a lock, a timeout that restarts it when stuck, and answers are kept in an LRU cache.
English<->French and English<->Portuguese go through Spanish, the only pair set Debian packages for
all of them.
"""

from __future__ import annotations

import atexit
import bisect
import functools
import json
import logging
import os
import re
import select
import shutil
import subprocess
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .errors import TranslationError

__all__ = ["INSTALL_HINT", "MODES_DIR", "MachineTranslation", "Translator"]

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install apertium apertium-eng-spa apertium-fr-es apertium-es-pt"
MODES_DIR = Path("/usr/share/apertium/modes")

# Apertium's mode file for each direct direction, by ISO 639-1 codes.
_DIRECT_MODES: dict[tuple[str, str], str] = {
    ("en", "es"): "eng-spa",
    ("es", "en"): "spa-eng",
    ("fr", "es"): "fr-es",
    ("es", "fr"): "es-fr",
    ("pt", "es"): "pt-es",
    ("es", "pt"): "es-pt",
}
_PIVOT = "es"
_STREAM_RESERVED = re.compile(r"([\\^$@*/<>{}\[\]#+~])")
# Unknown-word marks left by the engine: *word (unknown), #word (no generation), @word (no transfer).
_UNKNOWN_MARK = re.compile(r"(?<![\w\\])[*#@](?=\w)")
# A word the generator could not form can come out as its tags ("<prn>" for French "y" going into
# Spanish, escaped in the stream): analysis, not text. Only dropped from a text that had no "<" of its own.
_ENGINE_TAGS = re.compile(r"(?:\\?<[\w+-]+\\?>)+")
# An acronym: two to ten capitals (digits after the first). The engine translates one that spells a word
# ("LAIR", the Legal Aid Interagency Roundtable, came out as "GUARIDA"), so each is replaced by a word no
# dictionary holds, which the engine passes through in its place, and put back after.
_ACRONYM = re.compile(r"(?<![\w\\])[A-Z][A-Z0-9]{1,9}(?!\w)")
_KEPT = "Zqxv"  # + letters: a stand-in no language pair knows
# A word of a name: capitalised, with its apostrophes and hyphens ("Ciudadana's", "Saint-Louis").
_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Small words that join the words of a name ("Ministerio de Justicia", "Bureau of Prisons") and the
# possessive after one; in every language the engine handles, since a name keeps its own language.
# Not "and": "Red Ciudadana y Nueva Alianza" are two names.
_NAME_JOINERS = frozenset("de del la las los el of the for du des le les da do das dos".split())
_POSSESSIVE = re.compile(r"['’]s$")
# What comes before a sentence or a line starts: a capital there says nothing about a name.
_SENTENCE_END = re.compile(r"(?:[.!?¿¡]\s*|\n\s*)$")


@dataclass(frozen=True)
class MachineTranslation:
    """A text translated by a machine, labelled so the reader never mistakes it for the source."""

    text: str
    source: str
    target: str
    engine: str = "Apertium"
    # The language it went through where the engine has no direct pair (English to French is
    # English to Spanish to French): words the second step does not know stay in that language.
    via: str | None = None

    @property
    def path(self) -> str:
        """'en → fr', or 'en → es → fr' through another language."""
        return " → ".join(x for x in (self.source, self.via, self.target) if x)

    def label(self) -> str:
        """Short notice shown beside the text."""
        return f"Machine translation ({self.path}, {self.engine})"


class _Pipeline:
    """One direction's Apertium stages as one long-lived null-flush shell pipeline."""

    def __init__(self, mode: str, timeout_s: float, analysis_only: bool = False) -> None:
        self.mode = mode
        self.timeout_s = timeout_s
        # Only the first stage, the source language's morphological analyser: each word with its
        # readings, "^Ciudadana/*Ciudadana$" for one the dictionary lacks.
        self.analysis_only = analysis_only
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def _script(self) -> str:
        # apertium-wblank-mode -z writes the mode's commands with -z on every stage.
        script = subprocess.run(
            ["apertium-wblank-mode", "-z", str(MODES_DIR / f"{self.mode}.mode")],
            check=True, capture_output=True, text=True,
        ).stdout
        return script.split(" | ")[0] if self.analysis_only else script

    def _start(self) -> subprocess.Popen[bytes]:
        # $1 = -n: generate without unknown-word marks (apertium -u); $2: tagger option.
        process = subprocess.Popen(
            ["bash", "-c", self._script(), "apertium-pipeline", "-n", ""],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            bufsize=0, start_new_session=True,
        )
        self.process = process
        return process

    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()

    def translate(self, stream_text: str) -> str:
        with self.lock:
            try:
                return self._exchange(stream_text)
            except (OSError, TranslationError):
                # A dead or stuck pipeline is replaced once, then the question is retried.
                self.stop()
                self.restarts += 1
                return self._exchange(stream_text)

    def _exchange(self, stream_text: str) -> str:
        process = self.process if self.process and self.process.poll() is None else self._start()
        assert process.stdin and process.stdout
        # The closing blank lets the first and bilingual lt-proc stages finish the last word
        # (and keep final punctuation) before the NUL; without it they wait for more input.
        process.stdin.write(stream_text.encode("utf-8") + b"\n\0")
        process.stdin.flush()
        deadline = time.monotonic() + self.timeout_s
        received = bytearray()
        fd = process.stdout.fileno()
        while not received.endswith(b"\0"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                self.stop()
                raise TranslationError(f"Apertium {self.mode} gave no answer in {self.timeout_s} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                self.stop()
                raise TranslationError(f"Apertium {self.mode} stopped")
            received += chunk
        return received[:-1].decode("utf-8", errors="replace")


class Translator:
    """Translates between en, es, fr and pt with warm Apertium pipelines and an LRU cache."""

    def __init__(self, timeout_s: float = 10.0, cache_size: int = 2048) -> None:
        self.timeout_s = timeout_s
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._pipelines: dict[tuple[str, bool], _Pipeline] = {}
        self._pipelines_lock = threading.Lock()
        self.cache_hits = 0
        atexit.register(self.close)

    @staticmethod
    def available() -> bool:
        """True when Apertium and at least one installed pair can run here."""
        return shutil.which("apertium-wblank-mode") is not None and bool(Translator.installed_modes())

    @staticmethod
    def installed_modes() -> set[tuple[str, str]]:
        return {pair for pair, mode in _DIRECT_MODES.items() if (MODES_DIR / f"{mode}.mode").is_file()}

    def pairs(self) -> list[tuple[str, str]]:
        """Every (source, target) this machine can translate, direct or through Spanish."""
        direct = self.installed_modes() if shutil.which("apertium-wblank-mode") else set()
        found = set(direct)
        for (a, b) in direct:
            if b == _PIVOT:
                found |= {(a, c) for (p, c) in direct if p == _PIVOT and c != a}
        return sorted(found)

    def route(self, source: str, target: str) -> list[tuple[str, str]]:
        """The direct steps from ``source`` to ``target``; TranslationError when there is none."""
        direct = self.installed_modes()
        if (source, target) in direct:
            return [(source, target)]
        if (source, _PIVOT) in direct and (_PIVOT, target) in direct:
            return [(source, _PIVOT), (_PIVOT, target)]
        raise TranslationError(f"No Apertium pair for {source} → {target}; install with: {INSTALL_HINT}")

    def translate(self, text: str, source: str, target: str, terms: bool = False, names: bool = False,
                  reading: bool = False) -> str:
        """``text`` in ``target``, unknown words kept as they were, without marks. ``terms``: the
        justice terms of ``justice_terms.json`` are written as that table gives them in ``target``
        (for a question: "aide juridictionnelle" is "asistencia jurídica gratuita", not the engine's
        "ayuda juridictionnelle"). ``names``: a name holding a word the source dictionary lacks is
        kept as written (for a question, where such a name is most often a foreign one: "Red
        Ciudadana" asked about in English; a passage's own-language names are not foreign).
        ``reading``: for a reader, not a question: with ``terms``, the table's reading terms too."""
        if source == target or not text.strip():
            return text
        key = (text, source, target, terms, names, reading)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return self._cache[key]
        result = self._translated(text, source, target, terms, names, reading)
        with self._cache_lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def translate_passage(self, text: str, source: str, target: str, terms: bool = False) -> MachineTranslation:
        """A passage for reading, labelled as machine translation; paragraphs kept in order
        (``terms``: as in ``translate``). Names are the engine's: kept where a word is unknown, they
        would keep a Title-Case heading ("Disaggregated Data Action Plan Development") or an
        institution a reader wants translated ("Tribunal Supremo de Justicia") in the source language."""
        paragraphs = text.split("\n\n")
        translated = ["\n".join(self.translate(unit, source, target, terms, reading=True) for unit in _units(part))
                      for part in paragraphs]
        steps = self.route(source, target) if source != target else []
        via = steps[0][1] if len(steps) > 1 else None
        return MachineTranslation("\n\n".join(translated), source, target, via=via)

    def pipeline_pid(self, source: str, target: str) -> int | None:
        """Process id of the warm pipeline of a direct pair (None when not running)."""
        pipeline = self._pipelines.get((_DIRECT_MODES[(source, target)], False))
        return pipeline.pid() if pipeline else None

    def close(self) -> None:
        """Stops every pipeline; a later call starts them again."""
        with self._pipelines_lock:
            for pipeline in self._pipelines.values():
                with pipeline.lock:
                    pipeline.stop()
            self._pipelines.clear()

    def _pipeline(self, source: str, target: str, analysis_only: bool = False) -> _Pipeline:
        key = (_DIRECT_MODES[(source, target)], analysis_only)
        with self._pipelines_lock:
            if key not in self._pipelines:
                self._pipelines[key] = _Pipeline(key[0], self.timeout_s, analysis_only)
            return self._pipelines[key]

    def _translated(self, text: str, source: str, target: str, terms: bool, names: bool, reading: bool) -> str:
        # What must come out as written (acronyms, names) or as the term table has it (terms) is
        # held out of the engine's reach by stand-ins: single words no pair knows, which the engine
        # moves and inflects around like any unknown word, so the sentence around them stays whole.
        steps = self.route(source, target)
        held = _Held()
        readings: dict[str, set[str]] = {}
        if (names and _name_runs(text)) or (terms and _ACRONYM.search(text)):
            # The source dictionary's readings of each word: which words it lacks, and which
            # acronyms it knows as acronyms.
            readings = _readings(self._pipeline(*steps[0], analysis_only=True).translate(_stream(text)))
        if names:
            # A name holding a word the dictionary lacks is kept whole: "Red Ciudadana", a
            # Guatemalan NGO, is not "Rojo Ciudadana", and "Legal Aid" inside "Legal Aid
            # Interagency Roundtable" is not the justice term.
            text = _names_held(text, {word for word, read in readings.items() if not read}, held)
        if terms:
            text = _terms_held(text, source, target, held, reading)
        # An acronym the dictionary reads only as an acronym or a name is the engine's to translate
        # ("ONU" is "UN"); one it reads as a word ("LAIR"), or does not know, is kept.
        text = _acronyms_held(text, held, {word for word, read in readings.items()
                                           if read and all("<acr>" in r or "<np>" in r for r in read)})
        sent = text
        for step in steps:
            raw = self._pipeline(*step).translate(_stream(text))
            if "<" not in text:
                raw = _ENGINE_TAGS.sub("", raw)
            text = _clean(raw)
        return held.back(text, sent, target)


# A line that is a field of a record ("Lead agency: Department of Justice", "C04.1.1: Review ..."), or
# an item of a list.
_FIELD_LINE = re.compile(r"^\s*(?:[-•*·▪]\s|\d{1,2}[.)]\s|[^\W\d_][^:\n]{0,40}:\s|[A-Z]{1,4}\d[\w.]*:\s)")


def _units(paragraph: str) -> list[str]:
    """A paragraph's lines grouped into what the engine may translate as one: the engine reads a line
    break as a space and moves words across it, so a record's fields ("Theme: ... / Lead agency: ...")
    each go alone, as do lines after one that ends a sentence; a sentence wrapped over lines (a PDF's)
    stays whole."""
    units: list[list[str]] = []
    for line in paragraph.split("\n"):
        previous = units[-1][-1] if units else None
        if previous is None or _FIELD_LINE.match(line) or _FIELD_LINE.match(previous) \
                or previous.rstrip().endswith((".", "!", "?", ":", ";")):
            units.append([line])
        else:
            units[-1].append(line)
    return ["\n".join(unit) for unit in units]


def _stream(text: str) -> str:
    """``text`` as the engine's stream format reads it: its reserved characters escaped; NUL ends a
    text in the stream, so one inside the text would split it."""
    return _STREAM_RESERVED.sub(r"\\\1", text.replace("\0", " "))


class _Held:
    """Stand-ins for what the engine must not translate, and what each one is written back as."""

    def __init__(self) -> None:
        self.written: dict[str, str] = {}
        self._by_text: dict[str, str] = {}

    def hold(self, written: str) -> str:
        if written not in self._by_text:
            self._by_text[written] = _stand_in(len(self.written))
            self.written[self._by_text[written]] = written
        return self._by_text[written]

    def back(self, text: str, sent: str, target: str) -> str:
        """``text``, the engine's output in ``target``, with each stand-in written back; ``sent``: what
        the engine was given, stand-ins in place."""
        if not self.written:
            return text
        # Longest first, so a stand-in that begins another is not put back inside it; the engine may
        # capitalise a stand-in that opens a sentence, or set it in capitals.
        alternatives = "|".join(sorted(map(re.escape, self.written), key=len, reverse=True))
        # The engine capitalises the word after one it does not know ("Zqxva Para mujeres" for
        # "Zqxva for women", "Quand Zqxva A demandé"): after a stand-in the source follows with a
        # small letter wherever it stands, the translation does too.
        small_after = [stand_in for stand_in in self.written
                       if (after := re.findall(rf"{stand_in},? (\w)", sent)) and all(ch.islower() for ch in after)]
        if small_after:
            text = re.sub(rf"(?i:({'|'.join(small_after)})(,?)) ([A-ZÀ-Þ])(?=[a-zß-ÿ]*\b)",
                          lambda m: f"{m.group(1)}{m.group(2)} {m.group(3).lower()}", text)
        pattern = re.compile(alternatives, re.IGNORECASE)
        text = pattern.sub(lambda m: self.written[m.group(0)[:1].upper() + m.group(0)[1:].lower()], text)
        if target == "fr":
            # The engine wrote the article for a word it did not know: "le état de droit", "de
            # aide juridictionnelle" are "l'état de droit", "d'aide juridictionnelle".
            # Articles and "de", "que" only: "sa", "ma" or "ce" before a vowel are not elided.
            vowel_first = [re.escape(w) for w in self.written.values() if w[:1].lower() in "aeiouéèêàâîïôû"]
            if vowel_first:
                text = re.sub(rf"\b([Ll])[ea] ({'|'.join(vowel_first)})|\b([Dd]|[Qq]u)e ({'|'.join(vowel_first)})",
                              lambda m: f"{m.group(1) or m.group(3)}'{m.group(2) or m.group(4)}", text)
        return text


def _stand_in(number: int) -> str:
    letters = ""
    while True:
        number, rest = divmod(number, 26)
        letters = chr(97 + rest) + letters
        if not number:
            return _KEPT + letters


def _acronyms_held(text: str, held: _Held, translatable: set[str] | frozenset[str] = frozenset()) -> str:
    """``text`` with each acronym held but those in ``translatable``. Capitals next to a word in
    capitals ("IV PLAN DE ACCIÓN", a heading or a cover) are words, not acronyms, and stay; a list of
    acronyms ("DEA, BOP, and SAMHSA") is not a heading: a comma or a colon parts them."""
    if not _ACRONYM.search(text):
        return text
    words = [text[m.start():m.end()] for m in re.finditer(r"\S+", text)]
    starts = [m.start() for m in re.finditer(r"\S+", text)]

    def in_capitals(index: int) -> bool:
        if not 0 <= index < len(words):
            return False
        return sum(ch.isalpha() for ch in words[index]) >= 2 and words[index].isupper()

    def parted(index: int) -> bool:  # the word ends a list item or a clause
        return words[index].endswith((",", ";", ":"))

    def stand_in(match: re.Match) -> str:
        index = bisect.bisect_right(starts, match.start()) - 1
        heading = (index > 0 and not parted(index - 1) and in_capitals(index - 1)) \
            or (not parted(index) and in_capitals(index + 1))
        if heading or match.group(0) in translatable:
            return match.group(0)
        return held.hold(match.group(0))

    return _ACRONYM.sub(stand_in, text)


def _terms_held(text: str, source: str, target: str, held: _Held, reading: bool = False) -> str:
    """``text`` with each justice term held, to be written back as the term table gives it in
    ``target`` (``reading``: as in ``_term_table``)."""
    table = _term_table(source, target, reading)
    if table is None:
        return text
    pattern, renderings = table

    def rendering(match: re.Match) -> str:
        written = renderings[_term_key(match.group(0))]
        # A term in capitals (a heading) is written in capitals; one that opens a sentence or a line
        # opens it in the translation too.
        if match.group(0).isupper():
            written = written.upper()
        elif match.group(0)[0].isupper() and _SENTENCE_END.search(text[:match.start()] or "\n"):
            written = written[:1].upper() + written[1:]
        return held.hold(written)

    return pattern.sub(rendering, text)


def _readings(analysis: str) -> dict[str, set[str]]:
    """Each word of an analyser's output (``^word/reading/...$``) and its readings; none for a word
    the dictionary lacks (``^Ciudadana/*Ciudadana$``), or for an acronym it lacks (which is no sign
    of a foreign name, so is left out)."""
    readings: dict[str, set[str]] = {}
    for word, found in re.findall(r"\^((?:\\.|[^/$\\])*)/((?:\\.|[^$\\])*)\$", analysis):
        unknown = found.startswith("*")
        if unknown and _ACRONYM.fullmatch(word):
            continue
        readings.setdefault(word, set()).update(() if unknown else found.split("/"))
    return readings


def _names_held(text: str, unknown: set[str], held: _Held) -> str:
    """``text`` with each name that holds a word the engine does not know held as written."""
    for start, end in reversed(_name_runs(text, unknown)):
        text = text[:start] + held.hold(text[start:end]) + text[end:]
    return text


def _name_runs(text: str, unknown: set[str] | None = None) -> list[tuple[int, int]]:
    """Where the names of ``text`` stand: two or more capitalised words, next to each other or joined
    by small words, the word that opens a sentence counting only when unknown. With ``unknown`` (the
    words the engine does not know), only names holding one of them; without it, every place one may
    stand. An acronym's stand-in is not a name word."""
    spans: list[tuple[int, int]] = []
    run: list[re.Match] = []

    def is_unknown(word: re.Match) -> bool:
        return unknown is None or _POSSESSIVE.sub("", word.group(0)) in unknown

    def close() -> None:
        while run and run[-1].group(0).casefold() in _NAME_JOINERS:
            run.pop()
        if run and _SENTENCE_END.search(text[:run[0].start()] or "\n") and not (unknown and is_unknown(run[0])):
            run.pop(0)
        capitalised = [word for word in run if word.group(0)[0].isupper()]
        if len(capitalised) >= 2 and any(is_unknown(word) for word in capitalised):
            possessive = _POSSESSIVE.search(run[-1].group(0))
            spans.append((run[0].start(), run[-1].end() - (len(possessive.group(0)) if possessive else 0)))
        run.clear()

    for word in _NAME_WORD.finditer(text):
        token = word.group(0)
        # A word in capitals is a heading's or an acronym's, not a name's (acronyms are held apart).
        capital = token[0].isupper() and not token.isupper() and not token.startswith(_KEPT)
        joined = bool(run) and text[run[-1].end():word.start()] == " " and not _POSSESSIVE.search(run[-1].group(0))
        if joined and (capital or (token.casefold() in _NAME_JOINERS and run[-1].group(0)[0].isupper())):
            run.append(word)
            continue
        close()
        if capital:
            run.append(word)
    close()
    return spans


TERMS_FILE = Path(__file__).with_name("justice_terms.json")


def _term_key(phrase: str) -> str:
    return " ".join(phrase.casefold().split())


@functools.lru_cache(maxsize=None)
def _term_table(source: str, target: str, reading: bool = False) -> tuple[re.Pattern, dict[str, str]] | None:
    """A pattern for the terms of justice_terms.json in ``source`` (longest first, whole words, any
    case and spacing) and each one's rendering in ``target``; None when the table has none.
    ``reading``: with the terms kept for the translations readers ask for ("reading_terms")."""
    renderings: dict[str, str] = {}
    table = json.loads(TERMS_FILE.read_text(encoding="utf-8"))
    for entry in [*table["terms"], *(table.get("reading_terms", []) if reading else [])]:
        if entry.get(source) and entry.get(target):
            for form in entry[source]:
                renderings.setdefault(_term_key(form), entry[target][0])
    if not renderings:
        return None
    forms = sorted(renderings, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, form.split())) for form in forms)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), renderings


def _clean(raw: str) -> str:
    """Engine output without stream escapes or unknown-word marks."""
    unmarked = _UNKNOWN_MARK.sub("", raw)
    unescaped = re.sub(r"\\(.)", r"\1", unmarked)
    # Dropped clitics and marks leave runs of spaces; line breaks are kept.
    return re.sub(r"[ \t]{2,}", " ", unescaped).strip()
