"""analyze_many in worker processes gives exactly what it gives in one process, in the same order."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import random
from pathlib import Path
from typing import Any

import pytest

from trustsignals import Analyzer, ErrorRecord, Report
from trustsignals.errors import InternalError

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _sample_conversations(analyzer: Analyzer) -> list[dict[str, Any]]:
    files = sorted(p for p in SAMPLES.glob("*/*") if p.is_file() and not p.name.startswith((".", "README")))
    out = []
    for rec in analyzer.records(files):
        assert rec.transcript is not None, rec.error
        out.append(rec.transcript.model_dump(mode="json", exclude_none=True))
    assert out, "no samples found"
    return out


def _mixed_batch(analyzer: Analyzer, n: int = 160, seed: int = 7) -> list[Any]:
    """Sample conversations, copied and shuffled, with bad records at fixed places."""
    base = _sample_conversations(analyzer)
    items: list[Any] = []
    for i in range(n):
        conv = dict(base[i % len(base)])
        conv["id"] = f"{conv['id']}#{i}"
        items.append(conv)
    random.Random(seed).shuffle(items)
    bad: list[Any] = [
        {"id": "bad-role", "turns": [{"role": "wizard", "text": "Abracadabra."}]},
        "this is not JSON {",
        {"id": "no-turns", "turns": "none"},
        {"id": "empty", "turns": []},
        42,
        {"id": "no-text", "turns": [{"role": "agent"}]},
        '{"id": "line-1", "turns": [{"role": "agent", "text": "Sorry for the delay."}]}\n'
        '{"id": "line-2", "turns": [{"role": "customer", "text": "Thanks!"}]}\n'
        "not a JSON line\n",
    ]
    for k, item in enumerate(bad):
        items.insert(min(len(items), 3 + k * 23), item)
    items.append({"id": "last-bad", "turns": [{"role": "", "text": "x"}]})
    return items


@pytest.fixture(scope="module")
def batch(analyzer: Analyzer) -> list[Any]:
    return _mixed_batch(analyzer)


@pytest.fixture(scope="module")
def serial(analyzer: Analyzer, batch: list[Any]) -> list[str]:
    return [r.to_json() for r in analyzer.analyze_many(batch)]


def test_two_processes_give_identical_output(analyzer: Analyzer, batch: list[Any], serial: list[str]) -> None:
    parallel = [r.to_json() for r in analyzer.analyze_many(batch, n_process=2)]
    assert parallel == serial


@pytest.mark.parametrize("batch_size", [1, 5, 256])
def test_batch_size_does_not_change_output(
    analyzer: Analyzer, batch: list[Any], serial: list[str], batch_size: int
) -> None:
    parallel = [r.to_json() for r in analyzer.analyze_many(batch, n_process=2, batch_size=batch_size)]
    assert parallel == serial


def test_error_records_stay_in_place(analyzer: Analyzer, batch: list[Any], serial: list[str]) -> None:
    results = list(analyzer.analyze_many(batch, n_process=2, batch_size=4))
    errors = [r for r in results if isinstance(r, ErrorRecord)]
    assert len(errors) == 7  # all bad items but "empty" (a report with a warning)
    for position, result in enumerate(results):
        if isinstance(result, ErrorRecord):
            assert result.index == position  # renumbered in stream order, never moved
    codes = {r.transcript_id: r.error["code"] for r in errors if r.transcript_id}
    assert codes["bad-role"] == "TS101"
    assert codes["last-bad"] == "TS101"
    assert codes["no-text"] == "TS100"
    # the JSONL item holds two good records and one bad line, all in their place
    ids = [json.loads(s).get("transcript_id") for s in serial]
    i = ids.index("line-1")
    assert ids[i + 1] == "line-2"
    assert json.loads(serial[i + 2])["error"]["code"] == "TS100"
    assert sum(isinstance(r, Report) for r in results) == len(results) - len(errors)


def test_stopping_early_does_not_hang(analyzer: Analyzer, batch: list[Any], serial: list[str]) -> None:
    results = analyzer.analyze_many(batch, n_process=2, batch_size=4)
    head = [r.to_json() for r in itertools.islice(results, 7)]
    results.close()  # ends the pool
    assert head == serial[:7]


def test_spawned_workers_build_their_own_analyzer(
    analyzer: Analyzer, batch: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # where fork is unavailable (Windows, macOS default) workers are spawned and build an
    # Analyzer from the parent's arguments: same output
    items = batch[:40]
    expected = [r.to_json() for r in analyzer.analyze_many(items)]
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    parallel = [r.to_json() for r in analyzer.analyze_many(items, n_process=2, batch_size=8)]
    assert parallel == expected


def test_a_record_that_kills_its_worker_becomes_an_error_and_no_record_is_lost(
    analyzer: Analyzer, batch: list[Any], serial: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # forked workers inherit this patch: a worker that meets "kill-me" dies as if killed by
    # the kernel (no exception, no result); the parent must notice, keep every other record,
    # in order, and name the one that killed it
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork: spawned workers do not inherit the patch")
    parent = os.getpid()
    analyze = Analyzer.analyze_transcript

    def deadly(self: Analyzer, t: Any) -> Any:
        if t.id == "kill-me" and os.getpid() != parent:
            os._exit(9)
        return analyze(self, t)

    monkeypatch.setattr(Analyzer, "analyze_transcript", deadly)
    items = list(batch[:60])
    items.insert(25, {"id": "kill-me", "turns": [{"role": "agent", "text": "Sorry about that."}]})
    expected = [r.to_json() for r in analyzer.analyze_many(items)]  # in this process: no death
    results = list(analyzer.analyze_many(items, n_process=2, batch_size=8))
    assert len(results) == len(expected)
    victim = [i for i, r in enumerate(results) if r.transcript_id == "kill-me"]
    assert len(victim) == 1
    dead = results[victim[0]]
    assert isinstance(dead, ErrorRecord)
    assert dead.index == victim[0]
    assert dead.error["code"] == "TS900" and "worker process died" in str(dead.error["message"])
    got = [r.to_json() for r in results]
    del got[victim[0]], expected[victim[0]]
    assert got == expected
    # and the pool recovers: the next batch runs in workers again
    assert [r.to_json() for r in analyzer.analyze_many(batch[:20], n_process=2)] == serial[:20]


def test_a_batch_gives_the_collector_back_what_it_set_aside(analyzer: Analyzer, batch: list[Any]) -> None:
    import gc

    if gc.get_freeze_count() or not gc.isenabled():
        pytest.skip("objects already frozen, or the collector is off, before the test")
    results = analyzer.analyze_many(batch[:10])
    next(results)
    assert gc.get_freeze_count() > 0  # during the batch, what existed before is set aside
    results.close()
    assert gc.get_freeze_count() == 0
    gc.freeze()  # frozen by someone else: left as it is
    try:
        count = gc.get_freeze_count()
        list(analyzer.analyze_many(batch[:10], n_process=2))
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()


def test_workers_that_cannot_start_raise_a_clear_error(
    analyzer: Analyzer, batch: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # no record is to blame when no worker can even start: a typed error says so (before this,
    # the pool started workers again and again and the batch hung)
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs fork: spawned workers do not inherit the patch")
    import trustsignals.analyzer as analyzer_module

    def broken_init(*args: Any) -> None:
        raise RuntimeError("no rules here")

    monkeypatch.setattr(analyzer_module, "_worker_init", broken_init)
    with pytest.raises(InternalError, match="worker processes cannot start"):
        list(analyzer.analyze_many(batch[:20], n_process=2))
