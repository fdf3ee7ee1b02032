"""The conversation trust score: documented weights from a YAML configuration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .models import Finding, LedgerEntry, ScoreContribution, TrustScore


class ScoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    baseline: float = Field(default=50, ge=0, le=100)
    cap_per_signal: int = Field(default=3, ge=1)
    weights: dict[str, float]
    blame_target_multipliers: dict[str, float] = Field(default_factory=dict)
    promises: dict[str, float] = Field(default_factory=dict)

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any] | None = None) -> ScoringConfig:
        """The packaged defaults, or a YAML file / mapping that overrides some of them."""
        default = yaml.safe_load(
            (resources.files("trustsignals") / "data" / "scoring.yaml").read_text("utf-8")
        )
        if source is None:
            data = default
        else:
            if isinstance(source, Mapping):
                override = dict(source)
                where = "scoring mapping"
            else:
                where = str(source)
                try:
                    override = yaml.safe_load(Path(source).read_text("utf-8")) or {}
                except (OSError, yaml.YAMLError) as exc:
                    raise ConfigError(f"cannot read scoring configuration: {exc}", source=where) from exc
            data = dict(default)
            for key, value in override.items():
                if isinstance(value, Mapping) and isinstance(data.get(key), Mapping):
                    data[key] = {**data[key], **value}
                else:
                    data[key] = value
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(err["msg"], source="scoring", field=".".join(map(str, err["loc"]))) from exc


@dataclass
class Scorer:
    config: ScoringConfig = field(default_factory=ScoringConfig.load)

    def score(self, findings: Sequence[Finding], ledger: Sequence[LedgerEntry] = ()) -> TrustScore:
        cfg = self.config
        groups: Counter[tuple[str, str]] = Counter()
        weighted: dict[tuple[str, str], list[float]] = {}
        for f in findings:
            key = (f.signal, "agent" if f.role == "bot" else str(f.role))
            groups[key] += 1
            mult = (
                cfg.blame_target_multipliers.get(f.target or "", 1.0) if f.signal == "blame_shifting" else 1.0
            )
            weighted.setdefault(key, []).append(mult)
        contributions: list[ScoreContribution] = []
        total = cfg.baseline
        for key in sorted(groups):
            signal, role = key
            weight = cfg.weights.get(signal, 0.0)
            mults = sorted(weighted[key], reverse=weight < 0)[: cfg.cap_per_signal]
            points = round(weight * sum(mults), 2)
            total += points
            contributions.append(
                ScoreContribution(
                    signal=signal,
                    role=role,
                    count=groups[key],
                    counted=len(mults),
                    weight=weight,
                    points=points,
                )
            )
        status = Counter(e.status for e in ledger)
        for kind in ("broken", "doubted", "fulfilled"):
            if status[kind] and kind in cfg.promises:
                weight = cfg.promises[kind]
                points = round(weight * status[kind], 2)
                total += points
                contributions.append(
                    ScoreContribution(
                        signal=f"promise_{kind}",
                        role="agent",
                        count=status[kind],
                        counted=status[kind],
                        weight=weight,
                        points=points,
                    )
                )
        value = round(min(100.0, max(0.0, total)), 1)
        parts = sorted(contributions, key=lambda c: (-abs(c.points), c.signal, c.role))
        if parts:
            listed = ", ".join(f"{c.signal} ({c.role}) x{c.counted} {c.points:+g}" for c in parts)
            explanation = f"{value:g} = baseline {cfg.baseline:g}, " + listed
            if total != value:
                explanation += f" (sum {total:g}, clipped to 0-100)"
        else:
            explanation = f"{value:g} = baseline {cfg.baseline:g}; no trust signals found"
        return TrustScore(
            value=value, baseline=cfg.baseline, contributions=tuple(contributions), explanation=explanation
        )
