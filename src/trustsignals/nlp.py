"""NLP backends behind one interface, and the per-language pipeline the rule engine uses.

A backend turns text into a spaCy ``Doc`` whose tokens carry exact character offsets into the
text. ``blank`` (the default) is ``spacy.blank(lang)``: a rule-based tokenizer, no download.
``spacy`` loads a trained pipeline by package name; ``stanza`` runs a stanza pipeline and
converts its output (see ``trustsignals.backends.stanza``). The engine then sets, on every
token, the folded form (``NORM``) and a folded lemma (``LEMMA``: the backend's when it has
one, else ``simplemma``'s), so the same rules run on every backend.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .errors import BackendError, ConfigError
from .ruleset import LanguageSpec
from .text import Folder


class Backend(Protocol):
    """What the engine needs from an NLP backend."""

    name: str
    provides: frozenset[str]  # of "LEMMA", "POS", "TAG", "MORPH", "DEP"
    shares_lexemes: bool  # True when lexeme norms may be set globally (no model reads them)

    @property
    def vocab(self) -> Any: ...

    def make_doc(self, text: str) -> Doc: ...


class BlankBackend:
    """``spacy.blank(lang)``: tokenizer only; runs anywhere with no download."""

    name = "blank"
    provides: frozenset[str] = frozenset()
    shares_lexemes = True

    def __init__(self, lang: str) -> None:
        try:
            self.nlp: Language = spacy.blank(lang)
        except (ImportError, KeyError, OSError) as exc:
            # a language spaCy does not know: its multi-language tokenizer still works
            if lang == "xx":
                raise BackendError(f"spaCy cannot create a blank pipeline: {exc}") from exc
            self.nlp = spacy.blank("xx")
        self.lang = lang

    @property
    def vocab(self) -> Any:
        return self.nlp.vocab

    def make_doc(self, text: str) -> Doc:
        return self.nlp.make_doc(text)


class SpacyModelBackend:
    """A trained spaCy pipeline, loaded by package name (e.g. ``el_core_news_sm``)."""

    name = "spacy"
    shares_lexemes = False

    def __init__(self, model: str) -> None:
        try:
            self.nlp = spacy.load(model)
        except OSError as exc:
            raise BackendError(
                f"spaCy pipeline {model!r} is not installed",
                expected=f"`python -m spacy download {model}` on a connected machine, or `pip install` of its "
                "wheel; or choose the blank backend",
            ) from exc
        provides = set()
        for pipe_name in self.nlp.pipe_names:
            provides |= {
                "tagger": {"TAG", "POS"},
                "morphologizer": {"POS", "MORPH"},
                "parser": {"DEP"},
                "lemmatizer": {"LEMMA"},
                "attribute_ruler": {"POS"},
                "trainable_lemmatizer": {"LEMMA"},
            }.get(pipe_name, set())
        self.provides = frozenset(provides)
        self.model = model

    @property
    def vocab(self) -> Any:
        return self.nlp.vocab

    def make_doc(self, text: str) -> Doc:
        return self.nlp(text)


BackendFactory = Callable[[LanguageSpec, dict[str, Any]], Backend]


def _blank(spec: LanguageSpec, options: dict[str, Any]) -> Backend:
    return BlankBackend(spec.spacy_lang or spec.code)


def _spacy_model(spec: LanguageSpec, options: dict[str, Any]) -> Backend:
    model = options.get("model")
    if not model:
        raise ConfigError(f"the spacy backend for {spec.code!r} needs a model name", field="model",
                          expected="e.g. {'backend': 'spacy', 'model': 'el_core_news_sm'}")
    return SpacyModelBackend(str(model))


def _stanza(spec: LanguageSpec, options: dict[str, Any]) -> Backend:
    module = importlib.import_module("trustsignals.backends.stanza")
    return module.StanzaBackend(spec.code, **options)  # type: ignore[no-any-return]


BACKENDS: dict[str, BackendFactory] = {"blank": _blank, "spacy": _spacy_model, "stanza": _stanza}


@dataclass(frozen=True)
class BackendConfig:
    """Which backend to use for one language (default: blank)."""

    backend: str = "blank"
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(cls, value: Any, *, language: str) -> BackendConfig:
        if isinstance(value, BackendConfig):
            return value
        if isinstance(value, str):
            return cls(backend=value)
        if isinstance(value, dict):
            rest = {k: v for k, v in value.items() if k != "backend"}
            return cls(backend=str(value.get("backend", "blank")), options=tuple(sorted(rest.items())))
        raise ConfigError(f"backend setting for {language!r} is {value!r}", field=f"backends.{language}",
                          expected="'blank', 'spacy', 'stanza' or {'backend': ..., 'model': ...}")


def make_backend(spec: LanguageSpec, config: BackendConfig) -> Backend:
    factory = BACKENDS.get(config.backend)
    if factory is None:
        raise ConfigError(f"unknown backend {config.backend!r}", field=f"backends.{spec.code}",
                          expected=f"one of {sorted(BACKENDS)}")
    return factory(spec, dict(config.options))


class Pipeline:
    """Makes docs for one language: backend output plus folded NORM and LEMMA on every token."""

    def __init__(self, spec: LanguageSpec, backend: Backend, need_lemmas: bool) -> None:
        self.spec = spec
        self.backend = backend
        self.folder = Folder(spec.fold.map, spec.fold.collapse_repeats)
        self.need_lemmas = need_lemmas and spec.lemmatize
        self._normed: set[int] = set()
        self._lemma_cache: dict[str, str] = {}
        self._simplemma_lang = spec.code

    @property
    def vocab(self) -> Any:
        return self.backend.vocab

    def make_doc(self, text: str) -> Doc:
        doc = self.backend.make_doc(text)
        self.annotate(doc)
        return doc

    def annotate(self, doc: Doc) -> None:
        fold = self.folder.fold
        if self.backend.shares_lexemes:
            vocab = doc.vocab
            for tok in doc:
                orth = tok.orth
                if orth not in self._normed:
                    vocab[orth].norm_ = fold(tok.text)
                    self._normed.add(orth)
        else:
            for tok in doc:
                tok.norm_ = fold(tok.text)
        if self.need_lemmas:
            has_lemma = "LEMMA" in self.backend.provides
            for tok in doc:
                if has_lemma and tok.lemma_:
                    tok.lemma_ = fold(tok.lemma_)
                else:
                    tok.lemma_ = self.lemma(tok.text)

    def fold_phrase_doc(self, text: str) -> Doc:
        """A doc for a phrase pattern: same tokenizer, same norms."""
        doc = self.backend.make_doc(text) if self.backend.shares_lexemes else self._tokenize_only(text)
        self.annotate(doc)
        return doc

    def _tokenize_only(self, text: str) -> Doc:
        nlp = getattr(self.backend, "nlp", None)
        if nlp is not None:
            return nlp.make_doc(text)  # type: ignore[no-any-return]
        return self.backend.make_doc(text)

    def lemma(self, word: str) -> str:
        cached = self._lemma_cache.get(word)
        if cached is None:
            cached = self.folder.fold(_simplemma(word, self._simplemma_lang))
            if len(self._lemma_cache) < 500_000:
                self._lemma_cache[word] = cached
        return cached


def _simplemma(word: str, lang: str) -> str:
    import simplemma

    if not word.strip() or not any(c.isalpha() for c in word):
        return word
    try:
        return str(simplemma.lemmatize(word, lang=lang))
    except ValueError:  # language unknown to simplemma
        return word
