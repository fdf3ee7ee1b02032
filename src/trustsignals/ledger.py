"""The commitment ledger: every promise made in a conversation, its deadline, and what became of it.

Every ``commitment`` and ``overpromise`` finding becomes a :class:`~trustsignals.models.LedgerEntry`:

- **who** made it (the finding's role) and the **action**: the finding's clause, from its evidence
  to the next promise of the same sentence or the sentence end. Findings of one signal a couple of
  words apart in one sentence are one promise ("I guarantee it won't happen again"); an evidence
  that holds no action of its own ("I guarantee") takes the next clause with it.
- the **deadline** expression of that clause (or, when the clause has none, of the words before the
  promise in its sentence: "By Friday, I'll send it"), with its opening preposition ("before 5 pm
  today", "do piątku"), and ``deadline_normalized``: ISO 8601, a date when only a day is stated
  ("2024-03-08"), else a date-time. Deadlines are read by ``dateparser`` in the turn's language,
  relative to a reference time: the turn's ``timestamp``, else the conversation's first timestamp,
  else :data:`DEFAULT_REFERENCE` (Monday 3 January 2000, 09:00: never the wall clock, so output is
  deterministic; without timestamps read a normalised deadline as an offset from that Monday).
  What dateparser misreads is fixed by a per-language pre-normalisation table in
  ``data/ledger/<lang>.yaml`` (see the README there).
- **links** to later turns: an agent turn reporting it done ("done", "sent", "as promised": the
  language's ``fulfilled`` words, not negated, not in a question) → ``fulfilled`` (link signal
  ``fulfilment``); a later ``customer_distrust`` finding → ``doubted``, or ``broken`` when its
  sentence says the promise was not kept (the language's ``broken`` words: promise, said, told,
  still, again, never...) or names the promise's action, unless it places them on an earlier
  occasion (``earlier`` words: "you said that last time" doubts today's promise). A later turn
  links to the promises whose action shares a word with it; when none does, to the promises of
  the most recent turn that made any. The entry's ``status`` is the kind of its latest link
  (``open`` without links).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .models import Finding, LedgerEntry, LedgerLink, Transcript
from .text import Folder, base_fold_char

PROMISE_SIGNALS: tuple[str, ...] = ("commitment", "overpromise")
DEFAULT_REFERENCE = datetime(2000, 1, 3, 9, 0)
"""Reference time for conversations without timestamps (a Monday, 09:00)."""

MERGE_GAP_WORDS = 2
# a later turn is linked to one of the last LINK_WINDOW promises before it at most: keeps the
# ledger linear in the length of the conversation (a 4,000-turn thread), and a complaint about a
# promise made hundreds of promises earlier is rarer than one about a recent promise
LINK_WINDOW = 40
"""Findings of one signal at most this many words apart in a sentence are one promise."""

MAX_DAYS_AHEAD = 400
"""A 'deadline' further ahead than this is not one (e.g. "ticket 4471" read as the year 4471)."""

LinkKind = Literal["fulfilled", "doubted", "broken"]

_FOLDER = Folder()
_WORD = re.compile(r"[\w']+")
_SENTENCE_END = re.compile(r"[.!?…;\u037e]+(?=\s|$)|\n\s*")
_ABBREVIATION = re.compile(r"(?:\b\w\.)+$")  # p.m. / a.m. / e.g.: not a sentence end


# -- language data ----------------------------------------------------------------------------
class _NormalizeRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str
    replace: str


class _LanguageFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dateparser: str | None = None
    normalize: list[_NormalizeRow] = Field(default_factory=list)
    prepositions: list[str] = Field(default_factory=list)
    ambiguous: list[str] = Field(default_factory=list)
    question_marks: list[str] = Field(default_factory=lambda: ["?"])
    trim: list[str] = Field(default_factory=list)
    stopwords: list[str] = Field(default_factory=list)
    fulfilled: list[str] = Field(default_factory=list)
    negation: list[str] = Field(default_factory=list)
    broken: list[str] = Field(default_factory=list)
    earlier: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class LedgerLanguage:
    """One language's ledger data, compiled (from ``data/ledger/<code>.yaml``)."""

    code: str
    dateparser: str
    normalize: tuple[tuple[re.Pattern[str], str], ...] = ()
    prepositions: tuple[str, ...] = ()  # folded, longest first
    ambiguous: frozenset[str] = frozenset()
    question_marks: frozenset[str] = frozenset({"?"})
    trim: frozenset[str] = frozenset()
    stopwords: frozenset[str] = frozenset()
    fulfilled: re.Pattern[str] | None = None
    negation: tuple[str, ...] = ()
    broken: re.Pattern[str] | None = None
    earlier: re.Pattern[str] | None = None


def _fold(text: str) -> str:
    # not Folder.fold, which caches: ledger texts are whole sentences, and a cache of those grows
    # with the stream
    return _FOLDER.fold_text(text)[0]


def _words_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    folded = sorted({_fold(w).strip() for w in words if _fold(w).strip()}, key=lambda w: (-len(w), w))
    if not folded:
        return None
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(w) for w in folded) + r")(?![\w'])")


@cache
def ledger_language(code: str) -> LedgerLanguage:
    """The ledger data of a language (empty lists when it has no data file)."""
    path = resources.files("trustsignals") / "data" / "ledger" / f"{code}.yaml"
    if not code.isidentifier() or not path.is_file():
        return LedgerLanguage(code=code, dateparser=code)
    return load_ledger_language(code, path.read_text("utf-8"), source=f"data/ledger/{code}.yaml")


def load_ledger_language(code: str, text: str, *, source: str = "<ledger data>") -> LedgerLanguage:
    """Compile one language's ledger data from its YAML text (raises ``ConfigError`` when invalid)."""
    try:
        data = _LanguageFile.model_validate(yaml.safe_load(text) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"cannot read the ledger data: {exc}", source=source) from exc
    rows: list[tuple[re.Pattern[str], str]] = []
    for row in data.normalize:
        bad = sorted({ch for ch in row.pattern if ch.isalpha() and base_fold_char(ch) != ch})
        if bad:
            raise ConfigError(
                f"normalize pattern {row.pattern!r} has letters folded text never contains: {bad}",
                source=source,
                field="normalize.pattern",
                expected="lower case letters without accents",
            )
        try:
            rows.append((re.compile(row.pattern), row.replace))
        except re.error as exc:
            raise ConfigError(
                f"normalize pattern {row.pattern!r}: {exc}", source=source, field="normalize.pattern"
            ) from exc
    return LedgerLanguage(
        code=code,
        dateparser=data.dateparser or code,
        normalize=tuple(rows),
        prepositions=tuple(
            sorted({_fold(p) for p in data.prepositions if p.strip()}, key=lambda p: (-len(p), p))
        ),
        ambiguous=frozenset(_fold(w) for w in data.ambiguous),
        question_marks=frozenset(data.question_marks),
        trim=frozenset(_fold(w) for w in data.trim),
        stopwords=frozenset(_fold(w) for w in data.stopwords),
        fulfilled=_words_regex(data.fulfilled),
        negation=tuple(sorted({_fold(w) for w in data.negation}, key=lambda w: (-len(w), w))),
        broken=_words_regex(data.broken),
        earlier=_words_regex(data.earlier),
    )


# -- deadlines ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """A deadline expression found in a text."""

    text: str
    """The expression as written, with its opening preposition ("before 5 pm today")."""
    start: int
    end: int
    value: str | None
    """ISO 8601: a date when only a day is stated, else a date-time (with the reference's offset)."""


@dataclass
class _Hit:
    start: int  # offsets into the normalised text
    end: int
    value: datetime
    period: str


def _settings(reference: datetime) -> dict[str, Any]:
    return {"RELATIVE_BASE": reference, "PREFER_DATES_FROM": "future"}


@lru_cache(maxsize=64)
def _date_data_parser(language: str, reference: datetime) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=[language], settings={**_settings(reference), "RETURN_TIME_AS_PERIOD": True}
    )


@cache
def _dateparser_knows(language: str) -> bool:
    from dateparser.languages.loader import LocaleDataLoader

    try:
        LocaleDataLoader().get_locale_map(languages=[language])
    except ValueError:
        return False
    return True


@lru_cache(maxsize=8192)
def _parse(expression: str, language: str, reference: datetime) -> tuple[datetime, str] | None:
    data = _date_data_parser(language, reference).get_date_data(expression)
    if data.date_obj is None:
        return None
    return data.date_obj, str(data.period or "day")


@lru_cache(maxsize=4096)
def _search(text: str, language: str, reference: datetime) -> tuple[tuple[str, datetime], ...]:
    from dateparser.search import search_dates

    found = search_dates(text, languages=[language], settings=_settings(reference))
    return tuple(found or ())


_GROUP_REF = re.compile(r"\\(?:(\d+)|g<(\w+)>)")


@cache
def _template(replace: str) -> tuple[str | int, ...] | None:
    """A replacement template as literal parts and group references; None when it holds other
    escapes (then ``Match.expand`` reads it)."""
    parts: list[str | int] = []
    pos = 0
    for m in _GROUP_REF.finditer(replace):
        parts.append(replace[pos : m.start()])
        ref = m.group(1) or m.group(2)
        parts.append(int(ref) if ref.isdecimal() else ref)
        pos = m.end()
    parts.append(replace[pos:])
    if any(isinstance(p, str) and "\\" in p for p in parts[::2]):
        return None
    return tuple(parts)


def _expand(m: re.Match[str], replace: str) -> str:
    """``m.expand(replace)``, without parsing the template again on every match (Python 3.11's
    ``Match.expand`` does)."""
    parts = _template(replace)
    if parts is None:
        return m.expand(replace)
    return "".join(p if i % 2 == 0 else (m.group(p) or "") for i, p in enumerate(parts))  # type: ignore[misc]


def prenormalize(text: str, language: str) -> tuple[str, list[tuple[int, int, int, int, bool]]]:
    """The text dateparser reads, after the language's pre-normalisation table.

    Returns the normalised text and its segments ``(norm_start, norm_end, orig_start, orig_end,
    replaced)``, which map every normalised offset back to the original text.
    """
    rows = ledger_language(language).normalize
    if not rows:
        return text, [(0, len(text), 0, len(text), False)]
    folded, offsets = _FOLDER.fold_text(text)
    taken: list[tuple[int, int, str]] = []  # original offsets
    for pattern, replace in rows:
        for m in pattern.finditer(folded):
            if m.end() == m.start():
                continue
            os_, oe = (m.start(), m.end()) if offsets is None else (offsets[m.start()], offsets[m.end()])
            if any(a < oe and os_ < b for a, b, _ in taken):
                continue
            taken.append((os_, oe, _expand(m, replace)))
    taken.sort()
    parts: list[str] = []
    segments: list[tuple[int, int, int, int, bool]] = []
    pos = npos = 0
    for os_, oe, rep in taken:
        if os_ > pos:
            parts.append(text[pos:os_])
            segments.append((npos, npos + os_ - pos, pos, os_, False))
            npos += os_ - pos
        parts.append(rep)
        segments.append((npos, npos + len(rep), os_, oe, True))
        npos += len(rep)
        pos = oe
    if pos < len(text) or not segments:
        parts.append(text[pos:])
        segments.append((npos, npos + len(text) - pos, pos, len(text), False))
    return "".join(parts), segments


def _to_original(segments: list[tuple[int, int, int, int, bool]], start: int, end: int) -> tuple[int, int]:
    ostart = oend = None
    for ns, ne, os_, oe, replaced in segments:
        if ostart is None and ns <= start < ne:
            ostart = os_ if replaced else os_ + start - ns
        if oend is None and ns < end <= ne:
            oend = oe if replaced else os_ + end - ns
    if ostart is None:
        ostart = segments[-1][3]
    if oend is None or oend < ostart:
        oend = max(ostart, segments[-1][3] if end >= segments[-1][1] else ostart)
    return ostart, oend


def _locate(text: str, found: Sequence[tuple[str, datetime]]) -> list[tuple[int, int, datetime]]:
    out: list[tuple[int, int, datetime]] = []
    pos = 0
    for sub, value in found:
        i = text.find(sub, pos)
        if i < 0:
            i = text.find(sub)
            if i < 0:
                continue
        out.append((i, i + len(sub), value))
        pos = i + len(sub)
    return out


def _minimal(
    text: str, start: int, end: int, value: datetime, language: str, reference: datetime
) -> tuple[int, int, str]:
    """Trim words off both ends of an expression while it still means the same time."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    whole = _parse(text[start:end], language, reference)
    target = whole if whole is not None and whole[0] == value else None
    period = target[1] if target else "day"

    def same(p: tuple[datetime, str] | None) -> bool:
        return p is not None and (p == target if target else p[0] == value)

    def droppable(i: int) -> bool:  # no date by itself ("and", "the", "by") or a bare number ("£15")
        word = text[words[i][0] : words[i][1]]
        if not any(c.isalpha() for c in word) and ":" not in word:
            return True
        return _parse(word, language, reference) is None

    lo, hi = 0, len(words)
    while hi - lo > 1 and droppable(lo):
        p = _parse(text[words[lo + 1][0] : words[hi - 1][1]], language, reference)
        if not same(p):
            break
        lo = lo + 1
        period = p[1] if p else period
    while hi - lo > 1 and droppable(hi - 1):
        p = _parse(text[words[lo][0] : words[hi - 2][1]], language, reference)
        if not same(p):
            break
        hi = hi - 1
        period = p[1] if p else period
    if not words:
        return start, end, period
    s, e = words[lo][0], words[hi - 1][1]
    while e > s and not text[e - 1].isalnum():
        e -= 1
    return s, e, period


def _is_day(period: str) -> bool:
    return period not in ("time", "part_of_day")


def _merge(text: str, hits: list[_Hit], language: str, reference: datetime) -> list[_Hit]:
    """Join a day and a time a couple of words apart ("hoje antes das 17:00")."""
    out: list[_Hit] = []
    for hit in hits:
        if out:
            prev = out[-1]
            gap = text[prev.end : hit.start]
            if len(gap.split()) <= 2 and not any(c in gap for c in ".;!?\n"):
                joined = _parse(text[prev.start : hit.end], language, reference)
                if joined is not None:
                    out[-1] = _Hit(prev.start, hit.end, joined[0], joined[1])
                    continue
                if _is_day(prev.period) != _is_day(hit.period):
                    day, time = (prev, hit) if _is_day(prev.period) else (hit, prev)
                    out[-1] = _Hit(
                        prev.start, hit.end, datetime.combine(day.value.date(), time.value.time()), "time"
                    )
                    continue
        out.append(hit)
    return out


def _plausible(
    expr: str, hit: _Hit, has_preposition: bool, lang: LedgerLanguage, reference: datetime
) -> bool:
    if not any(c.isalpha() for c in expr) and not any(c in expr for c in ":/."):
        return False  # a bare number or range ("4471", "3-5") is not a deadline
    if not has_preposition and _fold(expr) in lang.ambiguous:
        return False
    return reference.date() <= hit.value.date() <= (reference + timedelta(days=MAX_DAYS_AHEAD)).date()


def _preposition_before(text: str, start: int, lang: LedgerLanguage) -> int:
    """Start of the preposition right before ``start`` ("before", "do"), or ``start``."""
    if not lang.prepositions:
        return start
    head = text[:start]
    stripped = head.rstrip()
    if len(stripped) == len(head) and start > 0:
        return start
    folded, offsets = _FOLDER.fold_text(stripped)
    for prep in lang.prepositions:
        if folded.endswith(prep):
            i = len(folded) - len(prep)
            if i == 0 or not (folded[i - 1].isalnum() or folded[i - 1] in "'-"):
                return i if offsets is None else offsets[i]
    return start


def find_deadlines(text: str, language: str, reference: datetime = DEFAULT_REFERENCE) -> list[Deadline]:
    """Deadline expressions in ``text`` (one clause or sentence), in order.

    Reads the text with dateparser (``search_dates``) in ``language`` after the language's
    pre-normalisation table, relative to ``reference`` (a timezone-aware reference gives
    date-times with its offset), preferring dates in the future.
    """
    if not text.strip():
        return []
    lang = ledger_language(language)
    if not _dateparser_knows(lang.dateparser):
        return []
    tz = reference.tzinfo
    base = reference.replace(tzinfo=None)
    normalized, segments = prenormalize(text, language)
    hits: list[_Hit] = []
    for s, e, value in _locate(normalized, _search(normalized, lang.dateparser, base)):
        s, e, period = _minimal(normalized, s, e, value, lang.dateparser, base)
        hits.append(_Hit(s, e, value, period))
    out: list[Deadline] = []
    for hit in _merge(normalized, hits, lang.dateparser, base):
        ostart, oend = _to_original(segments, hit.start, hit.end)
        pstart = _preposition_before(text, ostart, lang)
        expr = text[ostart:oend]
        if not _plausible(expr, hit, pstart < ostart, lang, base):
            continue
        if out and pstart < out[-1].end:
            pstart = max(ostart, out[-1].end)
            if pstart >= oend:
                continue
        if _is_day(hit.period):
            iso = hit.value.date().isoformat()
        else:
            iso = hit.value.replace(tzinfo=tz).isoformat(timespec="seconds")
        out.append(Deadline(text=text[pstart:oend], start=pstart, end=oend, value=iso))
    return out


def reference_times(t: Transcript, default: datetime = DEFAULT_REFERENCE) -> list[datetime]:
    """Each turn's reference time: its timestamp, else the conversation's first, else ``default``."""
    parsed = [_timestamp(turn.timestamp) for turn in t.turns]
    first = next((p for p in parsed if p is not None), None) or default
    return [p or first for p in parsed]


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


# -- sentences and words -----------------------------------------------------------------------
def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a turn (ends: . ! ? … ; and line breaks; "p.m." does not end one)."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.group().startswith(".") and _ABBREVIATION.search(text[start : m.start() + 1]):
            continue
        if text[start : m.end()].strip():
            out.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return [_strip_span(text, s, e) for s, e in out]


def _strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _sentence_of(spans: Sequence[tuple[int, int]], offset: int) -> tuple[int, int]:
    for s, e in spans:
        if s <= offset < e:
            return s, e
    return (0, 0) if not spans else spans[-1]


def _content_words(text: str, lang: LedgerLanguage) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(_fold(text)) if len(w) >= 4 and w not in lang.stopwords)


def _share_words(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when a word of one is a word of the other or starts it ("call" / "calling")."""
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


# -- the ledger --------------------------------------------------------------------------------
@dataclass
class _Draft:
    turn: int
    start: int
    role: str
    signal: str
    text: str
    action: str
    words: frozenset[str]
    deadline: Deadline | None
    links: list[LedgerLink] = field(default_factory=list)

    def status(self) -> str:
        return self.links[-1].kind if self.links else "open"


def _groups(findings: list[Finding], text: str) -> list[list[Finding]]:
    """Promise findings of one sentence, grouped: one signal a couple of words apart is one promise."""
    groups: list[list[Finding]] = []
    for f in sorted(findings, key=lambda f: (f.start, f.end, f.signal)):
        if groups:
            last = groups[-1][-1]
            gap = text[last.end : f.start] if f.start >= last.end else ""
            if last.signal == f.signal and len(_WORD.findall(gap)) <= MERGE_GAP_WORDS:
                groups[-1].append(f)
                continue
        groups.append([f])
    return groups


def _trim_action(text: str, lang: LedgerLanguage) -> str:
    action = text.strip()
    while True:
        stripped = action.rstrip(" \t\n.,;:!?…-–—")
        m = re.search(r"[\w'&,]+$", stripped)
        if m and _fold(m.group()) in lang.trim and m.start() > 0:
            action = stripped[: m.start()]
            continue
        return stripped


def _turn_drafts(
    t: Transcript, turn: int, findings: list[Finding], language: str, reference: datetime
) -> list[_Draft]:
    text = t.turns[turn].text
    lang = ledger_language(language)
    spans = sentences(text)
    by_sentence: dict[tuple[int, int], list[Finding]] = {}
    for f in findings:
        by_sentence.setdefault(_sentence_of(spans, f.start), []).append(f)
    drafts: list[_Draft] = []
    for (s_start, s_end), fs in sorted(by_sentence.items()):
        s_end = max(s_end, max(f.end for f in fs))
        groups = _groups(fs, text)
        for k, group in enumerate(groups):
            g_start = group[0].start
            g_end = max(f.end for f in group)
            a_end = groups[k + 1][0].start if k + 1 < len(groups) else s_end
            if not _WORD.search(text[g_end:a_end]) and k + 1 < len(groups):
                # the evidence is all there is ("I guarantee"): the promise is the next clause
                a_end = groups[k + 2][0].start if k + 2 < len(groups) else s_end
            action = _trim_action(text[g_start:a_end], lang) or text[g_start:g_end]
            found = find_deadlines(text[g_start:a_end], language, reference)
            deadline = None
            if found:
                d = found[0]
                deadline = Deadline(d.text, d.start + g_start, d.end + g_start, d.value)
            else:
                before_start = max(f.end for f in groups[k - 1]) if k else s_start
                earlier = find_deadlines(text[before_start:g_start], language, reference)
                if earlier:
                    d = earlier[-1]
                    deadline = Deadline(d.text, d.start + before_start, d.end + before_start, d.value)
            evidence = " … ".join(dict.fromkeys(f.text for f in group))
            drafts.append(
                _Draft(
                    turn=turn,
                    start=g_start,
                    role=group[0].role,
                    signal=group[0].signal,
                    text=evidence,
                    action=action,
                    words=_content_words(action, lang),
                    deadline=deadline,
                )
            )
    return drafts


def _targets(
    drafts: Sequence[_Draft],
    draft_turns: Sequence[int],
    turn: int,
    words: frozenset[str],
    eligible: Any = None,
) -> tuple[list[_Draft], bool]:
    """The promises a later turn speaks of, and whether it named their action.

    ``drafts`` are in turn order (``draft_turns`` their turns); only the last ``LINK_WINDOW``
    promises before ``turn`` count.
    """
    end = bisect.bisect_left(draft_turns, turn) if len(drafts) > LINK_WINDOW else len(drafts)
    window = drafts[max(0, end - LINK_WINDOW) : end]
    earlier = [d for d in window if d.turn < turn and (eligible is None or eligible(d))]
    if not earlier:
        return [], False
    named = [d for d in earlier if _share_words(d.words, words)]
    if named:
        return named, True
    latest = max(d.turn for d in earlier)
    return [d for d in earlier if d.turn == latest], False


def _fulfilment(text: str, lang: LedgerLanguage) -> list[str]:
    """Sentences of an agent turn that report something done (not negated, not questions)."""
    if lang.fulfilled is None:
        return []
    out: list[str] = []
    for s, e in sentences(text):
        sentence = text[s:e]
        if any(q in sentence for q in lang.question_marks):
            continue
        folded = _fold(sentence)
        for m in lang.fulfilled.finditer(folded):
            before = " ".join(_WORD.findall(folded[: m.start()])[-3:])
            if any(re.search(r"(?<![\w'])" + re.escape(n) + r"(?![\w'])", before) for n in lang.negation):
                continue
            out.append(sentence)
            break
    return out


def _add_link(draft: _Draft, link: LedgerLink) -> None:
    severity = {"fulfilled": 0, "doubted": 1, "broken": 2}
    if draft.links and draft.links[-1].turn == link.turn:
        if severity[link.kind] <= severity[draft.links[-1].kind]:
            return
        draft.links[-1] = link
        return
    draft.links.append(link)


def build_ledger(
    t: Transcript,
    findings: Sequence[Finding],
    turn_languages: Sequence[str],
    *,
    default_reference: datetime = DEFAULT_REFERENCE,
) -> tuple[LedgerEntry, ...]:
    """The commitment ledger of one conversation (see the module documentation)."""
    promises: dict[int, list[Finding]] = {}
    for f in findings:
        if f.signal in PROMISE_SIGNALS and 0 <= f.turn < len(t.turns):
            promises.setdefault(f.turn, []).append(f)
    if not promises:
        return ()
    refs = reference_times(t, default_reference)

    def language_of(i: int) -> str:
        return turn_languages[i] if i < len(turn_languages) else (t.language or "und")

    drafts: list[_Draft] = []
    for i in sorted(promises):
        drafts.extend(_turn_drafts(t, i, promises[i], language_of(i), refs[i]))
    draft_turns = [d.turn for d in drafts]
    first_turn = min(promises)
    distrust: dict[int, list[Finding]] = {}
    for f in findings:
        if f.signal == "customer_distrust" and f.turn > first_turn:
            distrust.setdefault(f.turn, []).append(f)
    for j in range(first_turn + 1, len(t.turns)):
        turn = t.turns[j]
        lang = ledger_language(language_of(j))
        if turn.role in ("agent", "bot"):
            reports = _fulfilment(turn.text, lang)
            if reports:
                words = _content_words(" ".join(reports), lang)
                targets, _ = _targets(
                    drafts, draft_turns, j, words, eligible=lambda d: d.status() != "fulfilled"
                )
                for d in targets:
                    _add_link(d, LedgerLink(turn=j, kind="fulfilled", signal="fulfilment", text=reports[0]))
        for f in sorted(distrust.get(j, ()), key=lambda f: (f.start, f.end)):
            spans = sentences(turn.text)
            s, e = _sentence_of(spans, f.start)
            sentence = turn.text[s:e] if e > s else f.text
            words = _content_words(sentence, lang)
            folded = _fold(sentence)
            said_broken = lang.broken is not None and lang.broken.search(folded) is not None
            earlier = lang.earlier is not None and lang.earlier.search(folded) is not None
            targets, named = _targets(drafts, draft_turns, j, words)
            kind: LinkKind = "broken" if (said_broken or named) and not earlier else "doubted"
            for d in targets:
                _add_link(d, LedgerLink(turn=j, kind=kind, signal=f.signal, text=sentence))
    entries: list[LedgerEntry] = []
    for d in sorted(drafts, key=lambda d: (d.turn, d.start, d.signal)):
        entries.append(
            LedgerEntry(
                turn=d.turn,
                role=d.role,  # type: ignore[arg-type]
                signal=d.signal,
                text=d.text,
                action=d.action,
                deadline=d.deadline.text if d.deadline else None,
                deadline_normalized=d.deadline.value if d.deadline else None,
                status=d.status(),  # type: ignore[arg-type]
                links=tuple(d.links),
            )
        )
    return tuple(entries)
