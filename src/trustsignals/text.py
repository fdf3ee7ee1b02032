"""Text folding for accent-, case- and spelling-insensitive matching.

``Folder.fold`` maps text to its *folded* form: compatibility-decomposed, combining marks and
invisible format characters dropped, case-folded (which also maps Greek final sigma to sigma),
letters without a decomposition mapped to their base letter (Polish "ł" to "l"), then a
language's own character map (declared in ``rules/<lang>/language.yaml``), then optionally
repeated letters collapsed. ``Folder.fold_with_offsets`` also returns, for every folded
character, the offset of the original character it came from, so that a match on folded text
maps back to exact offsets in the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Letters that NFKD does not decompose but that chat writers replace by a base letter.
_BASE_LETTERS = {
    "ł": "l",
    "đ": "d",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ı": "i",
    "ħ": "h",
    "ŧ": "t",
    "ß": "ss",
    "ſ": "s",
    # typographic variants that people and editors mix freely
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u00b4": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u037e": ";",  # Greek question mark
    "\u00a0": " ",
}


@lru_cache(maxsize=65536)
def base_fold_char(ch: str) -> str:
    """Fold one character: lower case, no accents, no invisible marks."""
    if ch in _BASE_LETTERS:
        return _BASE_LETTERS[ch]
    if ch.isascii():
        return ch.lower()
    out = []
    for c in unicodedata.normalize("NFKD", ch):
        cat = unicodedata.category(c)
        if cat == "Mn" or cat == "Cf":
            continue
        for f in c.casefold():
            out.append(_BASE_LETTERS.get(f, f))
    return "".join(out)


class Folder:
    """Folds text the way one language's rules expect it."""

    def __init__(self, char_map: Mapping[str, str] | None = None, collapse_repeats: bool = False) -> None:
        # keys of the language map are themselves folded, so authors may write them any way
        self.char_map: dict[str, str] = {}
        for key, value in (char_map or {}).items():
            fk = "".join(base_fold_char(c) for c in key)
            if fk:
                self.char_map[fk] = value
        self.max_key = max((len(k) for k in self.char_map), default=0)
        self.collapse_repeats = collapse_repeats
        self._cache: dict[str, str] = {}

    def fold_text(self, text: str) -> tuple[str, list[int] | None]:
        """Folded text and offsets like ``fold_with_offsets``; offsets ``None`` when folding
        kept every character in place (one folded character per original character).

        The common case runs in C (``str.translate``); text with characters that fold to zero
        or several characters, or a language map, takes the exact character-by-character path.
        """
        if self.is_plain:
            if text.isascii():
                return text.lower(), None
            if _ONE_TO_ONE.ready(text):
                return text.translate(_ONE_TO_ONE), None
        folded, offsets = self.fold_with_offsets(text)
        return folded, offsets

    @property
    def is_plain(self) -> bool:
        return not self.char_map and not self.collapse_repeats

    def fold(self, text: str) -> str:
        """Folded form of ``text`` (cached: use it for words and phrases)."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self.fold_with_offsets(text)[0]
            if len(self._cache) < 500_000:
                self._cache[text] = cached
        return cached

    def fold_with_offsets(self, text: str) -> tuple[str, list[int]]:
        """Folded text and, for each folded character, the offset of its source character.

        The offsets list has one more item than the folded text: the length of ``text``, so
        that a folded span ``[i, j)`` maps to ``[offsets[i], offsets[j])`` in the original
        (``j`` exclusive: use the start of the next source character).
        """
        chars: list[str] = []
        src: list[int] = []
        if text.isascii() and self.is_plain:
            return text.lower(), [*range(len(text)), len(text)]
        for i, ch in enumerate(text):
            folded = base_fold_char(ch)
            for c in folded:
                chars.append(c)
                src.append(i)
        if self.char_map:
            chars, src = self._apply_map(chars, src)
        if self.collapse_repeats:
            chars, src = _collapse(chars, src)
        src.append(len(text))
        return "".join(chars), src

    def _apply_map(self, chars: list[str], src: list[int]) -> tuple[list[str], list[int]]:
        out_c: list[str] = []
        out_s: list[int] = []
        i, n = 0, len(chars)
        cmap, max_key = self.char_map, self.max_key
        while i < n:
            for size in range(min(max_key, n - i), 0, -1):
                key = "".join(chars[i : i + size])
                rep = cmap.get(key)
                if rep is not None:
                    for c in rep:
                        out_c.append(c)
                        out_s.append(src[i])
                    i += size
                    break
            else:
                out_c.append(chars[i])
                out_s.append(src[i])
                i += 1
        return out_c, out_s


class _OneToOneTable(dict[int, str]):
    """A ``str.translate`` table of the characters whose folded form is exactly one character."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def ready(self, text: str) -> bool:
        """Fill the table for the characters of ``text``; False if one of them is irregular."""
        for ch in set(text) - self.irregular:
            if ord(ch) not in self:
                folded = base_fold_char(ch)
                if len(folded) == 1:
                    self[ord(ch)] = folded
                else:
                    self.irregular.add(ch)
        return self.irregular.isdisjoint(text)


_ONE_TO_ONE = _OneToOneTable()


def _collapse(chars: list[str], src: list[int]) -> tuple[list[str], list[int]]:
    out_c: list[str] = []
    out_s: list[int] = []
    for c, s in zip(chars, src, strict=True):
        if out_c and c == out_c[-1] and c.isalpha():
            continue
        out_c.append(c)
        out_s.append(s)
    return out_c, out_s


_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=32)
def script_letters(script_prefix: str) -> re.Pattern[str]:
    """A regex matching the letters whose Unicode name starts with ``script_prefix``."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x80, 0x30000):
        ch = chr(cp)
        if ch.isalpha() and unicodedata.name(ch, "").startswith(script_prefix):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    if script_prefix == "LATIN":
        ranges[:0] = [(ord("A"), ord("Z")), (ord("a"), ord("z"))]
    body = "".join(f"\\U{a:08x}-\\U{b:08x}" if a != b else f"\\U{a:08x}" for a, b in ranges)
    return re.compile(f"[{body}]" if body else "(?!)")


def has_script(text: str, script_prefix: str, minimum: float = 0.5, sample: int = 2000) -> bool:
    """True when at least ``minimum`` of the letters of ``text`` are of the given Unicode script.

    ``script_prefix`` is the start of the Unicode character name, e.g. ``"GREEK"``. Only the
    first ``sample`` characters are looked at.
    """
    if text.isascii() and script_prefix != "LATIN":
        return False
    head = text[:sample]
    letters = len(_LETTER.findall(head))
    return letters > 0 and len(script_letters(script_prefix).findall(head)) / letters >= minimum
