"""The engine's fast paths give what the slower library calls they replace give."""

from __future__ import annotations

from typing import Any

import re2
import spacy
from hypothesis import given
from hypothesis import strategies as st

from trustsignals.engine import RegexFilter, _Bounds, _byte_spans

nlp = spacy.blank("xx")
text_st = st.text(alphabet=st.sampled_from([*list("ab ά,.\n  έλπίζωçãłż!?"), "́", "😀"]), max_size=40)
PATTERNS = ["a+", "a*", "(ά|α)?", "(b|έ)[ ]?", "\\bab\\b", "[\\p{L}]+", "(?:ç|ã)+ ?", "$", "^a", "x"]


@given(text_st, st.sampled_from(PATTERNS))
def test_property_byte_spans_are_finditer_spans(text: str, pattern: str) -> None:
    data = text.encode("utf-8")
    got = [
        (len(data[:a].decode()), len(data[:b].decode()))
        for a, b in _byte_spans(RegexFilter([pattern]).regex(0), data)
    ]
    assert got == [(m.start(), m.end()) for m in re2.compile(pattern).finditer(text)]


@given(text_st, st.integers(0, 45), st.integers(1, 12))
def test_property_expand_is_char_span_expand(text: str, start: int, length: int) -> None:
    doc = nlp.make_doc(text)
    cs = min(start, len(text))
    ce = min(cs + length, len(text))
    if ce <= cs:
        return
    span = doc.char_span(cs, ce, alignment_mode="expand")
    expected = None if span is None or len(span) == 0 else (span.start, span.end)
    assert _Bounds(doc).expand(cs, ce) == expected


SENTENCES = [
    "Hola, necesito ayuda con mi pedido, por favor, llegó roto ayer por la tarde",
    "Danke für die schnelle Hilfe, das Paket ist heute angekommen",
    "ok, efxaristo poly, perimeno to email sas",
    "Bonjour, je voudrais annuler ma commande de la semaine dernière",
    "Dziękuję bardzo, paczka dotarła wczoraj wieczorem",
    "Obrigado pela ajuda, o reembolso já caiu na minha conta",
    "Bedankt voor het snelle antwoord, ik wacht op de bevestiging",
    "Order 4411 tracking ZX-19 arrived broken again",
    "Σας ευχαριστώ πολύ για τη βοήθεια",
]


@given(st.text(alphabet=st.sampled_from(list("abcdeéłżαβγ .,xyzñöüσ")), min_size=1, max_size=80))
def test_property_vector_detector_is_langdetect(text: str) -> None:
    _same_as_langdetect(text)


def test_vector_detector_is_langdetect_on_sentences() -> None:
    for text in SENTENCES:
        _same_as_langdetect(text)


def _same_as_langdetect(text: str) -> None:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    from trustsignals.fastdetect import detect_langs as fast

    DetectorFactory.seed = 0
    try:
        expected: Any = [(x.lang, x.prob) for x in detect_langs(text)]
    except LangDetectException as exc:
        expected = str(exc)
    try:
        got: Any = [(x.lang, x.prob) for x in fast(text, seed=0)]
    except LangDetectException as exc:
        got = str(exc)
    assert got == expected


FILTER_PATTERNS = [
    "sorry (for|about) the",
    "\\b(we|i) will\\b",
    "[α-ω]+ σας",
    "ευχαριστ(ω|ουμε)",
    "(?i)ABC",
    "Ωμέγα",
    "é+z",
    "x?",
    "(nao|não) (sei|posso)",
    "\\d{2}:\\d{2}",
    "dzi[eę]kuj[eę]",
]
WORDS = (
    "sorry for about the we i will σας ευχαριστω ευχαριστουμε ABC abc Ωμέγα éez "
    "nao não sei posso 12:30 dziekuje dziękuję"
)
filter_text = st.one_of(
    st.text(alphabet=st.sampled_from([*WORDS, "\n"]), max_size=60),
    st.lists(st.sampled_from(WORDS.split()), max_size=12).map(" ".join),
)


WHOLE = RegexFilter(FILTER_PATTERNS)
SPLIT = RegexFilter(FILTER_PATTERNS, budget=30)  # several parts, as a large rule set gets


def test_split_filter_has_parts() -> None:
    assert len(WHOLE.parts) == 1
    assert len(SPLIT.parts) > 3
    assert len(SPLIT) == len(WHOLE) == len(FILTER_PATTERNS)


@given(filter_text)
def test_property_regex_filter_never_misses_a_match(text: str) -> None:
    data = text.encode("utf-8")
    for regex_filter in (WHOLE, SPLIT):
        candidates = regex_filter.candidates(data)
        assert candidates == sorted(set(candidates))
        for i, pattern in enumerate(FILTER_PATTERNS):
            spans = _byte_spans(RegexFilter([pattern]).regex(0), data)
            assert _byte_spans(regex_filter.regex(i), data) == spans, pattern  # pattern i is regex(i)
            if spans:
                assert i in candidates, pattern
