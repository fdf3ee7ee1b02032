"""NLP backends behind one interface, and the per-language pipeline the rule engine uses.

A backend turns text into a spaCy ``Doc`` whose tokens carry exact character offsets into the
text. ``blank`` (the default) is ``spacy.blank(lang)``: a rule-based tokenizer, no download.
``spacy`` loads a trained pipeline by package name; ``stanza`` runs a stanza pipeline and
converts its output (see ``trustsignals.backends.stanza``). The engine then sets, on every
token, the folded form (``NORM``) and a folded lemma (``LEMMA``: the backend's when it has
one, else ``simplemma``'s), so the same rules run on every backend.

Which backend each language uses comes from ``Analyzer(backends=...)`` or from the
``backends:`` section of a configuration file (``Analyzer(config=...)``, ``--config FILE``),
read and validated by :func:`load_config_file`. A backend is built the first time its
language is needed, and imports its NLP library only then.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy
import spacy
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from spacy.attrs import LEMMA, ORTH
from spacy.language import Language
from spacy.tokens import Doc

from .errors import BackendError, ConfigError
from .ruleset import LanguageSpec
from .text import Folder


class Backend(Protocol):
    """What the engine needs from an NLP backend.

    A backend may also have ``tokenize(text) -> Doc`` (tokens only, no analysis): phrase
    patterns are then tokenised with it, so that they split the way the backend splits text.
    """

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


# what each spaCy component (by factory) sets on tokens
_SPACY_FACTORY_PROVIDES: dict[str, frozenset[str]] = {
    "tagger": frozenset({"TAG"}),
    "morphologizer": frozenset({"POS", "MORPH"}),
    "parser": frozenset({"DEP"}),
    "beam_parser": frozenset({"DEP"}),
    "lemmatizer": frozenset({"LEMMA"}),
    "trainable_lemmatizer": frozenset({"LEMMA"}),
    "attribute_ruler": frozenset({"POS"}),  # maps TAG to POS in the trained pipelines
}


class SpacyModelBackend:
    """A trained spaCy pipeline, loaded by package name (e.g. ``el_core_news_sm``) or by path."""

    name = "spacy"
    shares_lexemes = False

    def __init__(self, model: str) -> None:
        is_path = model.startswith(".") or "/" in model or "\\" in model or Path(model).exists()
        try:
            self.nlp = spacy.load(model)
        except OSError as exc:
            if is_path:
                raise BackendError(
                    f"no spaCy pipeline at {model!r}",
                    source=model,
                    field="model",
                    expected="a folder written by nlp.to_disk() (with config.cfg), or a package name",
                ) from exc
            raise BackendError(
                f"spaCy pipeline {model!r} is not installed",
                field="model",
                expected=f"`python -m spacy download {model}` on a connected machine, or `pip install` "
                "of its wheel; or choose the blank backend",
            ) from exc
        provides: set[str] = set()
        for pipe_name in self.nlp.pipe_names:
            factory = self.nlp.get_pipe_meta(pipe_name).factory
            provides |= _SPACY_FACTORY_PROVIDES.get(factory, frozenset())
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
        raise ConfigError(
            f"the spacy backend for {spec.code!r} needs a model name",
            field="model",
            expected="e.g. {'backend': 'spacy', 'model': 'el_core_news_sm'}",
        )
    return SpacyModelBackend(str(model))


STANZA_OPTIONS = frozenset({"processors", "model_dir", "pipeline", "package", "use_gpu"})


def _stanza(spec: LanguageSpec, options: dict[str, Any]) -> Backend:
    unknown = set(options) - STANZA_OPTIONS
    if unknown:
        raise ConfigError(
            f"unknown stanza backend options {sorted(unknown)}",
            field=f"backends.{spec.code}",
            expected=f"options among {sorted(STANZA_OPTIONS)}",
        )
    module = importlib.import_module("trustsignals.backends.stanza")
    return module.StanzaBackend(spec.code, spacy_lang=spec.spacy_lang or spec.code, **options)  # type: ignore[no-any-return]


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
        if isinstance(value, Mapping):
            rest = {str(k): v for k, v in value.items() if k != "backend"}
            return cls(backend=str(value.get("backend", "blank")), options=tuple(sorted(rest.items())))
        raise ConfigError(
            f"backend setting for {language!r} is {value!r}",
            field=f"backends.{language}",
            expected="'blank', 'spacy', 'stanza' or {'backend': ..., 'model': ...}",
        )


def make_backend(spec: LanguageSpec, config: BackendConfig) -> Backend:
    factory = BACKENDS.get(config.backend)
    if factory is None:
        raise ConfigError(
            f"unknown backend {config.backend!r}",
            field=f"backends.{spec.code}",
            expected=f"one of {sorted(BACKENDS)}",
        )
    return factory(spec, dict(config.options))


# --------------------------------------------------------------------------- configuration file
class BackendEntry(BaseModel):
    """One language's backend in a configuration file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["blank", "spacy", "stanza"] = "blank"
    model: str | None = None  # spacy: package name (el_core_news_sm) or folder
    model_dir: str | None = None  # stanza: folder of downloaded models
    processors: str | dict[str, str] | None = None  # stanza: "tokenize,pos,lemma" or {processor: package}
    package: str | None = None  # stanza: model package, e.g. "gdt"
    use_gpu: bool | None = None  # stanza

    @model_validator(mode="after")
    def _options_fit_backend(self) -> BackendEntry:
        if self.backend == "spacy" and not self.model:
            raise ValueError(
                "the spacy backend needs model: a package name such as el_core_news_sm, or a folder"
            )
        if self.backend != "spacy" and self.model is not None:
            raise ValueError(f"model is an option of the spacy backend, not of {self.backend}")
        stanza_only = [
            name
            for name in ("model_dir", "processors", "package", "use_gpu")
            if getattr(self, name) is not None
        ]
        if self.backend != "stanza" and stanza_only:
            raise ValueError(
                f"{', '.join(stanza_only)}: options of the stanza backend, not of {self.backend}"
            )
        return self


class ConfigFile(BaseModel):
    """A trustsignals configuration file (YAML): for now, the NLP backend of each language.

    .. code-block:: yaml

        backends:
          en: blank
          el: {backend: spacy, model: el_core_news_sm}
          pt: {backend: stanza, model_dir: models/stanza}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    backends: dict[str, BackendEntry] = {}

    @field_validator("backends", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: ({"backend": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value


def load_config_file(path: str | Path) -> dict[str, BackendConfig]:
    """The per-language backends of a YAML configuration file.

    Relative paths (``model_dir``, and a spaCy ``model`` given as a folder) are relative to the
    file. Errors name the file and the field (``backends.el.model``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file: {exc.strerror}", source=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"the configuration file is not UTF-8 (byte {exc.start})", source=str(path)
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", source=where) from exc
    if data is None:
        data = {}
    try:
        config = ConfigFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(
            f"{first['msg']}{more}",
            source=str(path),
            field=".".join(str(p) for p in first["loc"]) or None,
            expected="backends: {<lang>: blank | spacy | stanza | {backend: ..., model: ..., ...}}",
        ) from exc
    out: dict[str, BackendConfig] = {}
    for lang, entry in config.backends.items():
        options = entry.model_dump(exclude_none=True, exclude={"backend"})
        if "model_dir" in options:
            options["model_dir"] = str((path.parent / options["model_dir"]).resolve())
        model = options.get("model")
        if model and (model.startswith(".") or "/" in model or "\\" in model):
            options["model"] = str((path.parent / model).resolve())
        out[lang] = BackendConfig(backend=entry.backend, options=tuple(sorted(options.items())))
    return out


class Pipeline:
    """Makes docs for one language: backend output plus folded NORM and LEMMA on every token."""

    def __init__(self, spec: LanguageSpec, backend: Backend, need_lemmas: bool) -> None:
        self.spec = spec
        self.backend = backend
        self.folder = Folder(spec.fold.map, spec.fold.collapse_repeats)
        self.need_lemmas = need_lemmas and spec.lemmatize
        self._normed: set[int] = set()
        self._lemma_cache: dict[str, str] = {}
        self._lemma_ids: dict[int, int] = {}  # orth id -> folded lemma id (annotate)
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
        orths: list[int] | None = None
        if self.backend.shares_lexemes:
            # norms live on lexemes: set once per word type, looking only at the doc's new types
            # (from an array of orth ids: no Token object is made per token)
            orths = doc.to_array(ORTH).tolist()
            new = set(orths).difference(self._normed)
            if new:
                vocab = doc.vocab
                strings = vocab.strings
                for orth in new:
                    vocab[orth].norm_ = fold(strings[orth])
                self._normed.update(new)
        else:
            for tok in doc:
                tok.norm_ = fold(tok.text)
        if self.need_lemmas:
            if "LEMMA" in self.backend.provides:
                for tok in doc:
                    if tok.lemma_:
                        tok.lemma_ = fold(tok.lemma_)
                    else:
                        tok.lemma_ = self.lemma(tok.text)
            elif len(doc):
                # every token's lemma is the folded simplemma lemma of its text: set them in one
                # array write, from a cache of orth id -> lemma id
                if orths is None:
                    orths = doc.to_array(ORTH).tolist()
                ids = self._lemma_ids
                strings = doc.vocab.strings
                values: list[int] = []
                for orth in orths:
                    value = ids.get(orth)
                    if value is None:
                        value = strings.add(self.lemma(strings[orth]))
                        if len(ids) < 500_000:
                            ids[orth] = value
                    values.append(value)
                lemma_ids: Any = numpy.asarray(values, dtype=numpy.uint64)
                doc.from_array([LEMMA], lemma_ids)

    def fold_phrase_doc(self, text: str) -> Doc:
        """A doc for a phrase pattern: same tokenizer, same norms."""
        doc = self.backend.make_doc(text) if self.backend.shares_lexemes else self._tokenize_only(text)
        self.annotate(doc)
        return doc

    def _tokenize_only(self, text: str) -> Doc:
        tokenize = getattr(self.backend, "tokenize", None)
        if callable(tokenize):
            return tokenize(text)  # type: ignore[no-any-return]
        nlp = getattr(self.backend, "nlp", None)
        if nlp is not None:
            return nlp.make_doc(text)  # type: ignore[no-any-return]
        return self.backend.make_doc(text)

    def lemma(self, word: str) -> str:
        cached = self._lemma_cache.get(word)
        if cached is None:
            # never empty: an all-empty lemma column makes spaCy's Matcher refuse LEMMA patterns
            cached = self.folder.fold(_simplemma(word, self._simplemma_lang)) or word
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
