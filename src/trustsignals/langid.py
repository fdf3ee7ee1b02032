"""Language identification for conversations and turns.

Two stages, measured on the development set (see README, "Language detection"):

1. A fast function-word vote over the languages that have rule sets. Each language's function
   words are spaCy's stop-word list for it plus any ``detection.stopwords`` its
   ``language.yaml`` adds; a word shared by k languages counts 1/k. Scripts decide outright
   where a language declares one (Greek letters are Greek), and romanised text is recognised by
   a language's ``detection.markers`` (Greeklish).
2. ``langdetect`` (seeded, so deterministic) for what the vote cannot settle: text with too few
   function words of any supported language, which is where other languages show up.

The conversation's language is decided from all its turns; system notices, which carry the
platform's locale, decide when they are clear. A turn keeps the conversation's language unless
it clearly is another one.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ruleset import LanguageSpec
from .text import base_fold_char, has_script

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_MIN_HITS = 2.0  # function-word evidence needed to decide
_MARGIN = 2.0  # the winner must have this many times the runner-up's evidence
_MIN_RATIO = 0.18  # share of words that are function words, below which the text may be another language
_LANGDETECT_MIN_LETTERS = 12
_LANGDETECT_MIN_PROB = 0.90
_WORD_CACHE_SIZE = 200_000


def _fold(word: str) -> str:
    return "".join(base_fold_char(c) for c in word)


@dataclass(frozen=True)
class Guess:
    language: str | None
    score: float
    words: int
    decided: bool


class LanguageIdentifier:
    def __init__(
        self, specs: Sequence[LanguageSpec], stopwords: dict[str, Iterable[str]] | None = None
    ) -> None:
        self.specs = {s.code: s for s in specs}
        self.codes = sorted(self.specs)
        words: dict[str, set[str]] = {}
        for spec in specs:
            extra = set(stopwords.get(spec.code, ())) if stopwords else set()
            words[spec.code] = {_fold(w) for w in (_spacy_stop_words(spec.spacy_lang or spec.code) | extra)}
        counts = Counter(w for ws in words.values() for w in ws)
        # word -> ((lang, weight), ...)
        self.index: dict[str, tuple[tuple[str, float], ...]] = {}
        for w, k in counts.items():
            self.index[w] = tuple((code, 1.0 / k) for code in self.codes if w in words[code])
        self.markers = {s.code: {_fold(m) for m in s.detection.markers} for s in specs if s.detection.markers}
        self.scripts = {s.code: s.detection.script for s in specs if s.detection.script}
        # raw word -> (its function-word weights, the languages it is a marker of); bounded
        self._words: dict[str, tuple[tuple[tuple[str, float], ...], tuple[str, ...]]] = {}

    def _word(self, raw: str) -> tuple[tuple[tuple[str, float], ...], tuple[str, ...]]:
        info = self._words.get(raw)
        if info is None:
            w = _fold(raw)
            info = (self.index.get(w, ()), tuple(code for code, marks in self.markers.items() if w in marks))
            if len(self._words) < _WORD_CACHE_SIZE:
                self._words[raw] = info
        return info

    # -- stage 1 ------------------------------------------------------------------------
    def vote(self, text: str) -> Guess:
        for code, script in self.scripts.items():
            if script and has_script(text, script, 0.5):
                return Guess(code, 100.0, 1, True)
        scores: dict[str, float] = {}
        n = 0
        marker_hits: Counter[str] = Counter()
        cache = self._words
        for raw in _WORD.findall(text):
            n += 1
            info = cache.get(raw)
            weights, marks = info if info is not None else self._word(raw)
            for code, weight in weights:
                scores[code] = scores.get(code, 0.0) + weight
            for code in marks:
                marker_hits[code] += 1
        top = max(scores.values(), default=0.0)
        for code, hits in sorted(marker_hits.items()):
            if hits >= self.specs[code].detection.min_markers and hits >= top / 2:
                return Guess(code, float(hits), n, True)
        if not scores:
            return Guess(None, 0.0, n, False)
        ranked = _top2(scores)
        best, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        decided = s1 >= _MIN_HITS and s1 >= _MARGIN * s2 and (n == 0 or s1 / n >= _MIN_RATIO)
        return Guess(best, s1, n, decided)

    # -- stage 2 ------------------------------------------------------------------------
    def statistical(self, text: str) -> tuple[str | None, float]:
        letters = sum(c.isalpha() for c in text)
        if letters < _LANGDETECT_MIN_LETTERS:
            return None, 0.0
        from langdetect.lang_detect_exception import LangDetectException

        from .fastdetect import detect_langs

        try:
            best = detect_langs(text[:5000], seed=0)[0]
        except LangDetectException:
            return None, 0.0
        code = str(best.lang).split("-")[0]
        return code, float(best.prob)

    # -- public -------------------------------------------------------------------------
    def conversation(
        self, texts: Sequence[str], roles: Sequence[str], votes: Sequence[Guess] | None = None
    ) -> tuple[str, str]:
        """The conversation's language and how it was decided.

        ``votes``, when given, holds ``vote(text)`` of every text, so that a caller that also
        needs them for ``turn`` computes them once.
        """
        system = " ".join(t for t, r in zip(texts, roles, strict=True) if r == "system")
        if system:
            g = self.vote(system)
            if g.decided and g.language and g.score >= 2:
                return g.language, "system notices"
        total: dict[str, float] = {}
        n = 0
        for i, text in enumerate(texts):
            g = votes[i] if votes is not None else self.vote(text)
            n += g.words
            if g.language and g.decided:
                total[g.language] = total.get(g.language, 0.0) + max(g.score, 1.0)
        if total:
            ranked = _top2(total)
            best, s1 = ranked[0]
            s2 = ranked[1][1] if len(ranked) > 1 else 0.0
            if s1 >= _MARGIN * s2 and s1 >= 2:
                return best, "function words"
        joined = " ".join(texts)
        g = self.vote(joined)
        if g.decided and g.language:
            return g.language, "function words"
        code, prob = self.statistical(joined)
        if code and prob >= 0.5:
            return code, "langdetect"
        return (g.language or "und"), "best guess"

    def turn(
        self, text: str, conversation_language: str, vote: Guess | None = None, statistical: bool = True
    ) -> str:
        """A turn's language: the conversation's unless the turn clearly is another language.

        ``vote``, when given, is ``vote(text)``, already computed. ``statistical=False`` skips the
        langdetect fallback (for system notices, which carry no findings).
        """
        g = vote if vote is not None else self.vote(text)
        if g.decided and g.language:
            return g.language
        if g.language == conversation_language and g.score >= 1:
            return conversation_language
        # weak evidence: maybe another language entirely, if the turn is long enough to tell
        if statistical and g.words >= 4 and (g.score / max(g.words, 1)) < _MIN_RATIO:
            code, prob = self.statistical(text)
            clear = code is not None and prob >= _LANGDETECT_MIN_PROB and code != conversation_language
            if clear and (code in self.specs or g.score == 0):
                return str(code)
        return conversation_language


def _top2(scores: dict[str, float]) -> list[tuple[str, float]]:
    """The two best languages, ties broken by code so that the result is deterministic."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:2]


def _spacy_stop_words(lang: str) -> set[str]:
    try:
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
    except ImportError:
        return set()
    return set(getattr(module, "STOP_WORDS", set()))
