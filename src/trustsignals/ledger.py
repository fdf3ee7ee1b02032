"""The commitment ledger (filled in by the conversation-insight work)."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Finding, LedgerEntry, Transcript


def build_ledger(t: Transcript, findings: Sequence[Finding], turn_languages: Sequence[str]) -> tuple[LedgerEntry, ...]:
    return ()
