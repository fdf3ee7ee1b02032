"""The benchmark corpus: the project's own ``samples/<lang>/`` transcripts, repeated and shuffled.

Only the shipped samples are used (never evaluation data). Each sample conversation is copied
with a new id until the corpus has the wanted size, then the copies are shuffled with a fixed
seed, so every run and every machine analyses the same conversations in the same order. Long
conversations are built by concatenating the turns of one language's samples in file order.

Conversation-level and turn-level ``language`` fields are dropped, so the analyzer has to
detect every language itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SEED = 20240601


@dataclass(frozen=True)
class Conversation:
    language: str  # the samples folder it came from (what the analyzer should detect)
    data: dict[str, Any]  # {"id": ..., "turns": [...], "metadata": {...}} without language fields

    @property
    def texts(self) -> list[str]:
        return [t["text"] for t in self.data["turns"]]


def _plain(transcript: Any) -> dict[str, Any]:
    turns = []
    for turn in transcript.turns:
        t: dict[str, Any] = {"role": turn.role, "text": turn.text}
        if turn.speaker is not None:
            t["speaker"] = turn.speaker
        if turn.timestamp is not None:
            t["timestamp"] = turn.timestamp
        turns.append(t)
    out: dict[str, Any] = {"id": transcript.id, "turns": turns}
    if transcript.metadata:
        out["metadata"] = dict(transcript.metadata)
    return out


def load_samples(root: Path = SAMPLES, analyzer: Any = None) -> dict[str, list[Conversation]]:
    """Every sample conversation, by language folder; unreadable files are skipped (and said)."""
    import sys

    from trustsignals.loaders import RoleMapper, TranscriptBuilder, to_records

    builder = analyzer.builder if analyzer is not None else TranscriptBuilder(RoleMapper())
    out: dict[str, list[Conversation]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "README")))
        convs: list[Conversation] = []
        for rec in to_records(files, builder=builder):
            if rec.transcript is None:
                print(f"bench: skipping {rec.source}: {rec.error}", file=sys.stderr)
                continue
            convs.append(Conversation(folder.name, _plain(rec.transcript)))
        if convs:
            out[folder.name] = convs
    return out


def build_corpus(samples: dict[str, list[Conversation]], size: int, seed: int = SEED) -> list[Conversation]:
    """``size`` conversations: the samples of all languages round-robin, copied, then shuffled.

    Languages are balanced (each language gets about ``size / languages`` conversations,
    whatever its number of samples).
    """
    langs = sorted(samples)
    if not langs:
        raise SystemExit("no samples found under samples/<lang>/")
    out: list[Conversation] = []
    counters = dict.fromkeys(langs, 0)
    i = 0
    while len(out) < size:
        lang = langs[i % len(langs)]
        pool = samples[lang]
        k = counters[lang]
        src = pool[k % len(pool)]
        counters[lang] += 1
        data = dict(src.data)
        data["id"] = f"{lang}/{src.data['id']}#{k // len(pool)}"
        out.append(Conversation(lang, data))
        i += 1
    random.Random(seed).shuffle(out)
    return out


def turn_pool(samples: dict[str, list[Conversation]], lang: str) -> list[dict[str, Any]]:
    return [dict(t) for conv in samples[lang] for t in conv.data["turns"]]


def long_conversation(
    samples: dict[str, list[Conversation]],
    lang: str,
    n_turns: int,
    *,
    offset: int = 0,
    cid: str | None = None,
) -> Conversation:
    """One conversation of ``n_turns`` turns: the language's sample turns concatenated, cycled."""
    pool = turn_pool(samples, lang)
    turns = [pool[(offset + j) % len(pool)] for j in range(n_turns)]
    return Conversation(lang, {"id": cid or f"{lang}-long-{n_turns}-{offset}", "turns": turns})


def iter_dicts(convs: list[Conversation]) -> Iterator[dict[str, Any]]:
    for c in convs:
        yield c.data
