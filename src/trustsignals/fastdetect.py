"""``langdetect`` with its sampling loop on numpy vectors: the same answers, several times faster.

``langdetect`` estimates a text's language by sampling its character n-grams at random (seeded)
and multiplying a probability per language by each n-gram's frequency in that language, in a
Python loop over the ~55 languages for every sample. That loop was a fifth of trustsignals'
analysis time, although only the turns the function-word vote cannot settle reach it.

:class:`VectorDetector` is langdetect's own ``Detector`` (same profiles, text cleaning, n-gram
extraction and random sequence) with that loop done by numpy. Every step is the same IEEE
arithmetic in the same order (element-wise products, the sum by Python's ``sum`` over Python
floats, element-wise division), so its probabilities are exactly langdetect's:
``tests/test_engine_paths.py`` compares them on generated and real texts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException

_VECTORS: dict[str, Any] = {}  # n-gram -> its per-language frequencies as a numpy vector
_MAX_VECTORS = 50_000  # about 22 MB at most


class VectorDetector(Detector):  # type: ignore[misc]
    """langdetect's ``Detector``, its trials computed on numpy vectors."""

    def _detect_block(self) -> None:
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        word_map = self.word_lang_prob_map
        langprob = numpy.zeros(len(self.langlist))
        self.random.seed(self.seed)
        # random.choice(ngrams), inlined: the same draws from the same generator
        getrandbits = self.random.getrandbits
        n = len(ngrams)
        bits = n.bit_length()
        for _ in range(self.n_trial):
            prob = numpy.array(self._init_probability(), dtype=numpy.float64)
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            factors: dict[str, Any] = {}  # n-gram -> weight + its frequencies, for this trial
            i = 0
            while True:
                r = getrandbits(bits)
                while r >= n:
                    r = getrandbits(bits)
                word = ngrams[r]
                factor = factors.get(word)
                if factor is None:
                    vector = _VECTORS.get(word)
                    if vector is None:
                        vector = numpy.array(word_map[word], dtype=numpy.float64)
                        if len(_VECTORS) < _MAX_VECTORS:
                            _VECTORS[word] = vector
                    factor = factors[word] = weight + vector
                prob *= factor
                if i % 5 == 0:
                    prob /= sum(prob.tolist())  # Python's sum, as langdetect's: same rounding
                    maxp = max(0.0, float(prob.max()))
                    if maxp > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                        break
                i += 1
            langprob += prob / self.n_trial
        self.langprob = langprob.tolist()


@cache
def _factory() -> Any:
    """langdetect's profiles, loaded once by langdetect's own loader into a factory of ours (its
    shared one is left to whoever else uses langdetect). Each n-gram's frequency list becomes a
    tuple: tuples of floats drop out of the garbage collector's sight, where 87,000 lists made
    every full collection walk them (a fifth of the objects it tracked in an analyzing process).
    """
    factory = detector_factory.DetectorFactory()
    factory.load_profile(detector_factory.PROFILES_DIRECTORY)
    factory.word_lang_prob_map = {word: tuple(p) for word, p in factory.word_lang_prob_map.items()}
    return factory


def detect_langs(text: str, seed: int = 0) -> list[Any]:
    """``langdetect.detect_langs(text)`` with ``DetectorFactory.seed = seed``, computed faster."""
    detector = VectorDetector(_factory())
    detector.seed = seed
    detector.append(text)
    return list(detector.get_probabilities())
