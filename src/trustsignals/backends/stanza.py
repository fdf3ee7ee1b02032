"""The stanza backend: a stanza pipeline's analysis as a spaCy ``Doc`` over the original text.

stanza (Stanford NLP) tokenises, splits multi-word tokens, tags UPOS/XPOS/features, lemmatises
and parses into Universal Dependencies. The rule engine works on spaCy docs, so
:func:`doc_from_stanza` converts a stanza ``Document`` into a ``Doc`` in the backend's vocab:

* **Offsets are the original text's.** Each spaCy token is the text between a stanza token's
  ``start_char`` and ``end_char``; the text between tokens is kept as trailing spaces (one
  space) or as whitespace tokens (anything longer, or newlines), exactly as spaCy's own
  tokenizer does. So ``doc.text == text`` and every finding's character offsets hold. Text that
  stanza skipped (rare: control characters) becomes its own tokens tagged ``X``.
* **One spaCy token per surface token.** A multi-word token (Portuguese "do" = "de" + "o",
  Polish "zrobiliśmy" = "zrobili" + "śmy", Greek "στο" = "σε" + "το") keeps its surface text and
  takes the annotations (lemma, UPOS, XPOS, features, relation) of its **head word**: the first
  of its words whose syntactic head lies outside the token ("zrobili" — the verb, not the
  auxiliary clitic "śmy"; "de" for "do", since both words attach to the following noun). When
  there is no parse, the first word. All the words stay available in
  ``doc.user_data["stanza_words"]`` (token index -> list of ``(text, lemma, upos, deprel)``).
* **Heads are remapped** from words to tokens: a token's head is the token holding its head
  word's head. Whitespace tokens attach to the token before them (relation ``dep``), and
  stanza's ``root`` becomes spaCy's ``ROOT``. Relations otherwise stay UD (``nsubj``, ``obj``,
  ``obl``...), so a rule written for stanza uses UD names.
* ``TAG`` is the XPOS; a model without XPOS gives the UPOS instead, so ``TAG`` is never empty.

Models are never downloaded at run time: the pipeline is loaded with ``download_method=None``
and a missing model becomes a :class:`~trustsignals.errors.BackendError` that says how to
install it on a connected machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.parts_of_speech import IDS as _UPOS_IDS
from spacy.tokens import Doc

from ..errors import BackendError, ConfigError

DEFAULT_PROCESSORS = "tokenize,pos,lemma,depparse"  # stanza adds mwt where the language has it
ALL_PROVIDES: frozenset[str] = frozenset({"LEMMA", "POS", "TAG", "MORPH", "DEP"})
_PROVIDES_BY_PROCESSOR: dict[str, frozenset[str]] = {
    "pos": frozenset({"POS", "TAG", "MORPH"}),
    "lemma": frozenset({"LEMMA"}),
    "depparse": frozenset({"DEP"}),
}
_RUNS = re.compile(r"\s+|\S+")
USER_DATA_KEY = "stanza_words"

StanzaPipeline = Callable[[str], Any]  # text -> stanza.models.common.doc.Document
Processors = str | dict[str, str]  # "tokenize,pos,lemma" or {"tokenize": "gdt", "lemma": "gdt", ...}


def install_hint(lang: str, processors: Processors, model_dir: str | None) -> str:
    """How to get stanza models onto a machine that cannot download them."""
    target = f", model_dir={model_dir!r}" if model_dir else ""
    return (
        f'on a connected machine: python -c "import stanza; stanza.download({lang!r}, '
        f'processors={processors!r}{target})", then copy the whole model folder (with resources.json) '
        "to this machine and set model_dir (or STANZA_RESOURCES_DIR) to it; or choose the blank backend"
    )


def load_pipeline(
    lang: str,
    *,
    processors: Processors = DEFAULT_PROCESSORS,
    model_dir: str | Path | None = None,
    package: str = "default",
    use_gpu: bool = False,
) -> Any:
    """A ``stanza.Pipeline`` from models already on disk; never downloads."""
    try:
        import stanza
    except ImportError as exc:
        raise BackendError(
            "the stanza backend needs the stanza package",
            field="backend",
            expected="`pip install trustsignals[stanza]`, or the blank or spacy backend",
        ) from exc
    directory = str(model_dir) if model_dir is not None else None
    kwargs: dict[str, Any] = {
        "processors": processors,
        "package": package,
        "download_method": None,
        "use_gpu": use_gpu,
        "logging_level": "WARN",
    }
    if directory is not None:
        kwargs["dir"] = directory
    where = directory or str(stanza.resources.common.DEFAULT_MODEL_DIR)
    try:
        return stanza.Pipeline(lang, **kwargs)
    except (OSError, ValueError, KeyError) as exc:  # FileNotFoundError and stanza's own errors
        raise BackendError(
            f"stanza models for {lang!r} ({processors}) are not installed in {where}: {exc}",
            source=directory,
            expected=install_hint(lang, processors, directory),
        ) from exc
    except Exception as exc:  # stanza's PipelineRequirementsException and the like: say what failed
        raise BackendError(
            f"stanza cannot build a pipeline for {lang!r} ({processors}): {type(exc).__name__}: {exc}",
            source=directory,
            expected=install_hint(lang, processors, directory),
        ) from exc


class StanzaBackend:
    """stanza behind the backend interface.

    Args:
        lang: stanza's language code (``en``, ``el``, ``nl``, ``pl``, ``pt``...).
        processors: stanza processors to run, as ``"tokenize,pos,lemma,depparse"`` or as a
            mapping from processor to package (``{"tokenize": "gdt", "pos": "gdt"}``); ``mwt`` is
            added where the language has it. What the backend provides follows from them:
            ``pos`` gives POS, TAG and MORPH, ``lemma`` LEMMA, ``depparse`` DEP.
        model_dir: the folder holding downloaded stanza models (default: stanza's,
            ``~/stanza_resources`` or ``STANZA_RESOURCES_DIR``).
        pipeline: a prebuilt ``stanza.Pipeline`` (or any callable from text to a stanza
            ``Document``) to use instead of loading one.
        package: stanza model package (``default``, or e.g. ``gdt`` for Greek).
        use_gpu: let stanza use a GPU when there is one (default: CPU, reproducible).
        spacy_lang: the spaCy language whose vocabulary (lexical attributes) the docs use.
    """

    name = "stanza"
    shares_lexemes = False
    provides: frozenset[str]

    def __init__(
        self,
        lang: str,
        processors: Processors = DEFAULT_PROCESSORS,
        model_dir: str | Path | None = None,
        pipeline: StanzaPipeline | None = None,
        *,
        package: str = "default",
        use_gpu: bool = False,
        spacy_lang: str | None = None,
    ) -> None:
        if not _valid_processors(processors):
            raise ConfigError(
                f"stanza processors {processors!r}",
                field="processors",
                expected=f"a comma-separated list such as {DEFAULT_PROCESSORS!r}",
            )
        self.lang = lang
        self.processors = processors
        try:
            self._spacy = spacy.blank(spacy_lang or lang)
        except (ImportError, KeyError, OSError):
            self._spacy = spacy.blank("xx")
        if pipeline is None:
            pipeline = load_pipeline(
                lang, processors=processors, model_dir=model_dir, package=package, use_gpu=use_gpu
            )
            self.provides = _provides_of(processors.split(",") if isinstance(processors, str) else processors)
        else:
            loaded = getattr(pipeline, "processors", None)
            self.provides = _provides_of(loaded) if isinstance(loaded, dict) else ALL_PROVIDES
        self.pipeline: StanzaPipeline = pipeline

    @property
    def vocab(self) -> Any:
        return self._spacy.vocab

    def make_doc(self, text: str) -> Doc:
        return doc_from_stanza(self.pipeline(text), self._spacy.vocab, text)

    def tokenize(self, text: str) -> Doc:
        """Tokens only (for phrase patterns): stanza's tokenizer when the pipeline is stanza's."""
        processors = getattr(self.pipeline, "processors", None)
        if isinstance(processors, dict) and "tokenize" in processors:
            return doc_from_stanza(
                self.pipeline(text, processors="tokenize"),  # type: ignore[call-arg]
                self._spacy.vocab,
                text,
            )
        return self._spacy.make_doc(text)


def _valid_processors(processors: Any) -> bool:
    if isinstance(processors, str):
        return bool(processors.strip())
    return (
        isinstance(processors, dict)
        and bool(processors)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in processors.items())
    )


def _provides_of(processors: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for name in processors:
        out |= _PROVIDES_BY_PROCESSOR.get(name.strip().lower(), frozenset())
    return frozenset(out)


@dataclass
class _Piece:
    start: int
    end: int
    words: list[Any]  # stanza words of the token; empty for text stanza did not tokenise
    sent: int = -1
    head_word: Any = None


def _head_word(words: list[Any]) -> Any:
    """The word that represents a multi-word token: the first whose head is outside it."""
    ids = {w.id for w in words}
    for w in words:
        if w.head is not None and w.head not in ids:
            return w
    return words[0]


def _locate(token: Any, text: str, cursor: int) -> tuple[int, int]:
    start, end = getattr(token, "start_char", None), getattr(token, "end_char", None)
    if start is None or end is None:  # no offsets (e.g. CoNLL-U without them): find the token
        found = text.find(token.text, cursor)
        if found < 0:
            raise BackendError(
                f"stanza token {token.text!r} is not in the text after offset {cursor}",
                field="start_char",
                expected="stanza tokens with character offsets",
            )
        return found, found + len(token.text)
    start, end = int(start), int(end)
    if start < cursor or end <= start or end > len(text):
        raise BackendError(
            f"stanza token {token.text!r} has offsets {start}:{end}, which do not fit the text "
            f"(length {len(text)}, previous token ends at {cursor})",
            field="start_char",
            expected="the stanza Document of this very text",
        )
    return start, end


def doc_from_stanza(stanza_doc: Any, vocab: Any, text: str | None = None) -> Doc:
    """Convert a stanza ``Document`` into a spaCy ``Doc`` over ``text`` (see the module doc).

    ``text`` is the text the document was made from (default: ``stanza_doc.text``); the tokens
    cover it exactly, whitespace included.
    """
    if text is None:
        text = stanza_doc.text
        if text is None:
            raise BackendError("the stanza Document has no text and none was given", field="text")
    runs, has_parse = _runs(stanza_doc, text)
    # spaCy's convention: one space after a token is its trailing whitespace; any other
    # whitespace (more spaces, newlines, tabs) is a token of its own
    words: list[str] = []
    spaces: list[bool] = []
    kept: list[_Piece] = []
    for run in runs:
        chunk = text[run.start : run.end]
        if chunk.isspace() and kept and not spaces[-1] and chunk[0] == " ":
            spaces[-1] = True
            run = _Piece(run.start + 1, run.end, [])
            chunk = chunk[1:]
            if not chunk:
                continue
        words.append(chunk)
        spaces.append(False)
        kept.append(run)
    n = len(words)
    token_of = {(run.sent, int(w.id)): ti for ti, run in enumerate(kept) for w in run.words}
    pos: list[str] = []
    tags: list[str] = []
    morphs: list[str] = []
    lemmas: list[str] = []
    deps: list[str] = []
    heads: list[int] = []
    all_words: dict[int, list[tuple[str, str, str, str]]] = {}
    previous_word = next((ti for ti, run in enumerate(kept) if run.words), -1)  # for leading whitespace
    for ti, run in enumerate(kept):
        surface = words[ti]
        if not run.words:  # whitespace, or text stanza did not tokenise
            space = surface.isspace()
            pos.append("SPACE" if space else "X")
            tags.append("_SP" if space else "X")
            morphs.append("")
            lemmas.append(surface)
            heads.append(previous_word if previous_word >= 0 else ti)
            deps.append("dep" if previous_word >= 0 else "ROOT")
            continue
        w = run.head_word
        upos = w.upos if w.upos in _UPOS_IDS and w.upos else "X"
        pos.append(upos)
        tags.append(w.xpos or upos)
        feats = w.feats or ""
        morphs.append("" if feats == "_" else feats)
        lemmas.append(w.lemma or surface)
        head = ti if not has_parse or w.head == 0 else token_of.get((run.sent, int(w.head)), ti)
        heads.append(head)
        deps.append("ROOT" if head == ti else str(w.deprel))
        if len(run.words) > 1:
            all_words[ti] = [(x.text, x.lemma or x.text, x.upos or "", x.deprel or "") for x in run.words]
        previous_word = ti
    parsed = has_parse and n > 0
    if parsed:
        roots = {run.sent: ti for ti, run in enumerate(kept) if run.words and heads[ti] == ti}
        _break_cycles(heads, deps, {ti: roots.get(run.sent, ti) for ti, run in enumerate(kept)})
    doc = Doc(
        vocab,
        words=words,
        spaces=spaces,
        pos=pos,
        tags=tags,
        morphs=morphs,
        lemmas=lemmas,
        heads=heads if parsed else None,
        deps=deps if parsed else None,
        sent_starts=None if parsed or not n else _sent_starts(kept),
    )
    if all_words:
        doc.user_data[USER_DATA_KEY] = all_words
    return doc


def _runs(stanza_doc: Any, text: str) -> tuple[list[_Piece], bool]:
    """stanza's tokens in text order, with the text between them split into runs of whitespace
    and of other characters; and whether every word has a head and a relation."""
    runs: list[_Piece] = []
    cursor = 0
    has_parse = True

    def gap(a: int, b: int) -> None:
        runs.extend(_Piece(a + m.start(), a + m.end(), []) for m in _RUNS.finditer(text[a:b]))

    for si, sentence in enumerate(stanza_doc.sentences):
        for token in sentence.tokens:
            start, end = _locate(token, text, cursor)
            gap(cursor, start)
            words = list(token.words)
            if not words:
                raise BackendError(f"stanza token {token.text!r} has no words", field="words")
            if any(w.head is None or w.deprel is None for w in words):
                has_parse = False
            runs.append(_Piece(start, end, words, si, _head_word(words)))
            cursor = end
    gap(cursor, len(text))
    return runs, has_parse


def _sent_starts(kept: list[_Piece]) -> list[bool | int | None]:
    out: list[bool | int | None] = []
    previous = -1
    for i, run in enumerate(kept):
        if not run.words:
            out.append(i == 0)
            continue
        out.append(i == 0 or previous not in (-1, run.sent))
        previous = run.sent
    return out


def _break_cycles(heads: list[int], deps: list[str], root_of: dict[int, int]) -> None:
    """Merging a multi-word token's words can, rarely, close a cycle: attach it to the root."""
    for i in range(len(heads)):
        seen: set[int] = set()
        j = i
        while heads[j] != j and j not in seen:
            seen.add(j)
            j = heads[j]
        if heads[j] == j:
            continue
        root = root_of.get(i, i)
        if root == i or root in seen:
            heads[i], deps[i] = i, "ROOT"
        else:
            heads[i] = root
