"""A token-pattern matcher for the common case, with spaCy ``Matcher`` semantics.

spaCy's ``Matcher`` evaluates ``IN``, ``NOT_IN`` and ``REGEX`` predicates in Python, once per
token and predicate, building a ``Token`` object each time; with a few dozen patterns that start
at every token this was the largest cost of analysing a turn. This matcher takes the patterns
spaCy's matcher would take, for the attributes and operators rule files use (string attributes
with a value, ``IN``, ``NOT_IN`` or ``REGEX``; boolean and integer attributes with a value;
quantifiers ``?``, ``*``, ``+``, ``{n}``, ``{n,m}``, ``{n,}``, ``{,m}``), and:

* evaluates every predicate once per distinct token (by the tuple of attribute ids the patterns
  read), caching the result as a bit set;
* skips a pattern when some token it requires appears nowhere in the doc;
* finds every (start, end) span that matches a pattern (what spaCy's matcher finds), then keeps,
  per key, the longest non-overlapping ones (``greedy="LONGEST"``), as spaCy does.

Patterns it does not support (``!``, fuzzy matching, comparison operators, extension attributes)
stay with spaCy's ``Matcher``: :meth:`TokenMatcher.supports` says which.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from spacy.attrs import IDS
from spacy.tokens import Doc

_STRING_ATTRS = frozenset(
    {"ORTH", "NORM", "LOWER", "LEMMA", "POS", "TAG", "DEP", "SHAPE", "PREFIX", "SUFFIX"}
)
# spaCy's boolean lexeme flags (IS_SENT_START is a token attribute: left to spaCy's Matcher)
_FLAG_ATTRS = frozenset(
    a
    for a in IDS
    if a.startswith(("IS_", "LIKE_")) and a != "IS_SENT_START" and not a.endswith("_DEPRECATED")
)
_INT_ATTRS = frozenset({"LENGTH"})
_UNBOUNDED = 1 << 30

Predicate = Callable[[Any], bool]


def _quantifier(op: Any) -> tuple[int, int] | None:
    """(min, max) repeats of a spaCy ``OP``; None for operators this matcher leaves to spaCy."""
    if op is None or op == "1":
        return 1, 1
    if op == "?":
        return 0, 1
    if op == "*":
        return 0, _UNBOUNDED
    if op == "+":
        return 1, _UNBOUNDED
    if isinstance(op, str) and op.startswith("{") and op.endswith("}"):
        body = op[1:-1]
        n, _, m = body.partition(",") if "," in body else (body, ",", body)
        if not (n.isdecimal() or m.isdecimal()) or (n and not n.isdecimal()) or (m and not m.isdecimal()):
            return None
        lo = int(n) if n else 0
        hi = int(m) if m else _UNBOUNDED
        return (lo, hi) if lo <= hi else None
    return None


def _not_in(values: frozenset[str]) -> Predicate:
    def test(v: Any) -> bool:
        return v not in values

    return test


def _searches(pattern: str) -> Predicate:
    search = re.compile(pattern).search

    def test(v: Any) -> bool:
        return search(v) is not None

    return test


def _all(tests: tuple[Predicate, ...]) -> Predicate:
    def test(v: Any) -> bool:
        return all(t(v) for t in tests)

    return test


def _flag(value: bool) -> Predicate:
    def test(v: Any) -> bool:
        return bool(v) == value

    return test


def _value_test(attr: str, value: Any) -> Predicate | None:
    """A test on one attribute's Python value (str, bool or int); None when unsupported."""
    if attr in _STRING_ATTRS:
        if isinstance(value, str):
            return partial(operator.eq, value)
        if isinstance(value, dict):
            tests: list[Predicate] = []
            for op, arg in value.items():
                if op in ("IN", "NOT_IN") and isinstance(arg, list) and all(isinstance(x, str) for x in arg):
                    values = frozenset(arg)
                    tests.append(values.__contains__ if op == "IN" else _not_in(values))
                elif op == "REGEX" and isinstance(arg, str):
                    tests.append(_searches(arg))
                else:
                    return None
            if not tests:
                return None
            return tests[0] if len(tests) == 1 else _all(tuple(tests))
        return None
    if attr in _FLAG_ATTRS and isinstance(value, bool):
        return _flag(value)
    if attr in _INT_ATTRS and isinstance(value, int) and not isinstance(value, bool):
        return partial(operator.eq, value)
    return None


class TokenMatcher:
    """Token patterns of one vocabulary, matched as spaCy's ``Matcher(greedy="LONGEST")`` does."""

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab
        self._attrs: list[str] = []  # attributes read, in to_array column order
        self._attr_index: dict[str, int] = {}
        # each token test has a bit; a spec of one test has that bit, a spec of several has its
        # own bit, set when all its tests' bits are
        self._nbits = 0
        self._pred_index: dict[str, int] = {}  # spec (as text) -> its bit
        self._wild = 0  # bits of specs that any token satisfies ({})
        # per column: value id -> bits of the IN / equality tests the value passes
        self._eq: list[dict[int, int]] = []
        # per column: bits of its NOT_IN tests, and value id -> bits of those the value fails
        self._not_in: list[tuple[int, dict[int, int]]] = []
        # (column, attribute, test, bit) of the other tests: REGEX, flags, lengths
        self._other: list[tuple[int, str, Predicate, int]] = []
        self._multi: list[tuple[int, int]] = []  # (spec bit, bits of its tests)
        # per pattern: key, elements (bit, min, max), bits every match needs, first-element bits
        self._patterns: list[tuple[str, tuple[tuple[int, int, int], ...], int, int | None]] = []
        self._keys: dict[str, int] = {}
        self._cache: dict[Any, int] = {}
        self._array_ids: list[int | str] = []

    def __len__(self) -> int:
        return len(self._keys)

    @staticmethod
    def supports(pattern: Sequence[dict[str, Any]]) -> bool:
        """Whether this matcher can run ``pattern`` (a folded spaCy token pattern)."""
        if not pattern:
            return False
        for spec in pattern:
            if _quantifier(spec.get("OP")) is None:
                return False
            for attr, value in spec.items():
                if attr == "OP":
                    continue
                if attr not in IDS or _value_test(attr, value) is None:
                    return False
        return True

    def add(self, key: str, patterns: Sequence[Sequence[dict[str, Any]]]) -> None:
        """Add patterns under ``key``; every pattern must pass :meth:`supports`."""
        self._keys.setdefault(key, len(self._keys))
        for pattern in patterns:
            if not self.supports(pattern):
                raise ValueError(f"pattern not supported by TokenMatcher: {pattern!r}")
            elements: list[tuple[int, int, int]] = []
            for spec in pattern:
                lo, hi = _quantifier(spec.get("OP"))  # type: ignore[misc]
                elements.append((self._predicate(spec), lo, hi))
            required = 0
            for bit, lo, _hi in elements:
                if lo > 0:
                    required |= bit
            # the bits a first token can have: those of the leading optional elements and of the
            # first required one (None: every element is optional, any token may start)
            starts = 0
            for bit, lo, _hi in elements:
                starts |= bit
                if lo > 0:
                    break
            first = starts if any(lo > 0 for _bit, lo, _hi in elements) else None
            self._patterns.append((key, tuple(elements), required, first))
        self._cache.clear()

    def _column(self, attr: str) -> int:
        index = self._attr_index.get(attr)
        if index is None:
            index = len(self._attrs)
            self._attrs.append(attr)
            self._attr_index[attr] = index
            self._array_ids = [IDS[a] for a in self._attrs]
            self._eq.append({})
            self._not_in.append((0, {}))
        return index

    def _bit(self) -> int:
        bit = 1 << self._nbits
        self._nbits += 1
        return bit

    def _predicate(self, spec: dict[str, Any]) -> int:
        """The bit of a token spec (specs with the same content share a bit)."""
        items = sorted((k, v) for k, v in spec.items() if k != "OP")
        dedupe = repr(items)
        bit = self._pred_index.get(dedupe)
        if bit is None:
            if not items:
                bit = self._bit()
                self._wild |= bit
            elif len(items) == 1:
                bit = self._bit()
                self._register(*items[0], bit)
            else:
                need = 0
                for attr, value in items:
                    test_bit = self._bit()
                    self._register(attr, value, test_bit)
                    need |= test_bit
                bit = self._bit()
                self._multi.append((bit, need))
            self._pred_index[dedupe] = bit
        return bit

    def _register(self, attr: str, value: Any, bit: int) -> None:
        """Index one attribute test: IN and equality by value id, NOT_IN likewise, others as calls."""
        col = self._column(attr)
        ids = self.vocab.strings.add
        if attr in _STRING_ATTRS:
            op, arg = ("EQ", [value]) if isinstance(value, str) else (next(iter(value)), None)
            if isinstance(value, dict) and len(value) == 1:
                arg = value[op]
            if op in ("EQ", "IN") and arg is not None:
                index = self._eq[col]
                for v in arg:
                    key = ids(v)
                    index[key] = index.get(key, 0) | bit
                return
            if op == "NOT_IN" and arg is not None:
                all_bits, fails = self._not_in[col]
                for v in arg:
                    key = ids(v)
                    fails[key] = fails.get(key, 0) | bit
                self._not_in[col] = (all_bits | bit, fails)
                return
        test = _value_test(attr, value)
        assert test is not None
        self._other.append((col, attr, test, bit))

    # -- matching -----------------------------------------------------------------------
    def _mask(self, row: tuple[int, ...]) -> int:
        """The predicate bits of a token whose attribute ids are ``row``."""
        mask = self._wild
        for col, value in enumerate(row):
            index = self._eq[col]
            if index:
                mask |= index.get(value, 0)
            all_bits, fails = self._not_in[col]
            if all_bits:
                mask |= all_bits & ~fails.get(value, 0)
        if self._other:
            strings = self.vocab.strings
            for col, attr, test, bit in self._other:
                value = row[col]
                if test((strings[value] if value else "") if attr in _STRING_ATTRS else value):
                    mask |= bit
        for bit, need in self._multi:
            if mask & need == need:
                mask |= bit
        return mask

    def token_masks(self, doc: Doc) -> list[int]:
        """Each token's predicate bits."""
        if not self._attrs:  # only wildcard tokens
            return [self._mask(())] * len(doc)
        cache = self._cache
        out: list[int] = []
        if len(self._array_ids) == 1:
            for value in doc.to_array(self._array_ids[0]).tolist():
                mask = cache.get(value)
                if mask is None:
                    mask = self._mask((value,))
                    if len(cache) < 200_000:
                        cache[value] = mask
                out.append(mask)
        else:
            for row in doc.to_array(self._array_ids).tolist():
                key = tuple(row)
                mask = cache.get(key)
                if mask is None:
                    mask = self._mask(key)
                    if len(cache) < 200_000:
                        cache[key] = mask
                out.append(mask)
        return out

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        """(key, start, end) of the longest non-overlapping matches of each key, by start."""
        if not self._patterns or not len(doc):
            return []
        masks = self.token_masks(doc)
        present = 0
        for m in masks:
            present |= m
        n = len(masks)
        spans: dict[str, set[tuple[int, int]]] = {}
        for key, elements, required, first in self._patterns:
            if required & present != required:
                continue
            ends: set[tuple[int, int]] = set()
            for start in range(n):
                if first is not None and not masks[start] & first:
                    continue
                _ends(masks, elements, 0, start, start, ends)
            if ends:
                spans.setdefault(key, set()).update(ends)
        out: list[tuple[str, int, int]] = []
        for key, pairs in spans.items():
            taken = [False] * n
            for s, e in sorted(pairs, key=lambda p: (p[0] - p[1], p[0])):  # longest, then leftmost
                if not any(taken[s:e]):
                    out.append((key, s, e))
                    for i in range(s, e):
                        taken[i] = True
        keys = self._keys
        out.sort(key=lambda m: (m[1], m[2], keys[m[0]]))
        return out


def _ends(
    masks: list[int],
    elements: tuple[tuple[int, int, int], ...],
    k: int,
    start: int,
    pos: int,
    out: set[tuple[int, int]],
) -> None:
    """Add (start, end) for every way elements[k:] match masks from ``pos`` on."""
    if k == len(elements):
        if pos > start:
            out.add((start, pos))
        return
    bit, lo, hi = elements[k]
    n = len(masks)
    count = 0
    p = pos
    while count < lo:
        if p >= n or not masks[p] & bit:
            return
        p += 1
        count += 1
    while True:
        _ends(masks, elements, k + 1, start, p, out)
        if count >= hi or p >= n or not masks[p] & bit:
            return
        p += 1
        count += 1
