"""The scoring policy (slo/policy.yaml): weights, key objectives, thresholds, baseline.

Keptn-style: an objective scores its weight on pass, half on warning, nothing on fail;
the total is 100 x scores / weights. The game passes when the total reaches the pass
threshold and no key objective failed. Format: docs/reports.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.yaml_files import load_model

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "slo" / "policy.yaml"


class PolicyError(Exception):
    """A policy file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Weighted(_Strict):
    weight: float = Field(default=1, ge=0)
    key: bool = False


class ScoreThresholds(_Strict):
    pass_: float = Field(default=90, ge=0, le=100, alias="pass")
    warning: float = Field(default=75, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> ScoreThresholds:
        if self.warning > self.pass_:
            raise ValueError("warning must not be above pass")
        return self


class Evidence(_Strict):
    confidence: float = Field(
        default=0.98, gt=0.5, lt=1, description="confidence level of every statistical test"
    )
    min_events: int = Field(
        default=50, ge=1, description="fewer events judged than this: the SLO is inconclusive"
    )


class SloOverride(_Strict):
    weight: float | None = Field(default=None, ge=0)
    key: bool | None = None
    pass_burn_rate: float | None = Field(default=None, gt=0)
    warning_burn_rate: float | None = Field(default=None, gt=0)
    min_events: int | None = Field(default=None, ge=1)


class SloSettings(_Strict):
    """The effective settings of one SLO (its override over the defaults)."""

    weight: float
    key: bool
    pass_burn_rate: float
    warning_burn_rate: float
    min_events: int


class SloObjectives(Weighted):
    key: bool = True
    pass_burn_rate: float = Field(default=1.0, gt=0, description="burn rate that passes")
    warning_burn_rate: float = Field(
        default=2.0, gt=0, description="above it, a significant burn fails"
    )
    overrides: dict[str, SloOverride] = Field(default_factory=dict)

    def for_slo(self, slug: str, evidence: Evidence) -> SloSettings:
        own = self.overrides.get(slug, SloOverride())
        return SloSettings(
            weight=self.weight if own.weight is None else own.weight,
            key=self.key if own.key is None else own.key,
            pass_burn_rate=own.pass_burn_rate or self.pass_burn_rate,
            warning_burn_rate=own.warning_burn_rate or self.warning_burn_rate,
            min_events=own.min_events or evidence.min_events,
        )


class AlertObjectives(Weighted):
    key: bool = True  # alerts are code: a release that breaks them must not ship
    max_time_to_detect_s: float = Field(default=90, gt=0)
    warning_time_to_detect_s: float = Field(default=150, gt=0)


class RecoveryObjectives(Weighted):
    weight: float = 2
    key: bool = True
    window_s: int = Field(default=30, ge=5, description="rate window of the recovery check")
    step_s: int = Field(default=5, ge=1, description="range-query step of the timeline")
    warning_factor: float = Field(default=1.5, ge=1, description="x max_recovery_seconds")


class ChaosObjectives(Weighted):
    key: bool = True  # an interrupted, aborted or failed round never passes


class NoiseObjectives(Weighted):
    max_unexpected_pages: int = Field(default=0, ge=0)
    warning_unexpected_pages: int = Field(default=1, ge=0)


class FailureRatioObjectives(Weighted):
    max_failure_ratio: float = Field(default=0.02, ge=0, le=1)
    warning_failure_ratio: float = Field(default=0.05, ge=0, le=1)


class Objectives(_Strict):
    integrity: Weighted = Field(default_factory=lambda: Weighted(weight=5, key=True))
    slo: SloObjectives = Field(default_factory=SloObjectives)
    alert_detection: AlertObjectives = Field(default_factory=AlertObjectives)
    recovery: RecoveryObjectives = Field(default_factory=RecoveryObjectives)
    chaos: ChaosObjectives = Field(default_factory=ChaosObjectives)
    fault_confirmation: Weighted = Field(default_factory=Weighted)
    noise: NoiseObjectives = Field(default_factory=NoiseObjectives)
    load: FailureRatioObjectives = Field(default_factory=FailureRatioObjectives)
    probes: FailureRatioObjectives = Field(default_factory=FailureRatioObjectives)


class BaselinePolicy(_Strict):
    min_effect_budget: float = Field(
        default=0.5,
        ge=0,
        description="error ratios: the smallest rise that counts, in error-budget units",
    )
    min_effect_rank: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="latency: the smallest rank-biserial shift that counts",
    )
    on_regression: Literal["warning", "fail"] = "warning"


class Policy(_Strict):
    version: Literal[1] = 1
    score: ScoreThresholds = Field(default_factory=ScoreThresholds)
    incomplete_game: Literal["warning", "fail"] = "fail"
    evidence: Evidence = Field(default_factory=Evidence)
    objectives: Objectives = Field(default_factory=Objectives)
    baseline: BaselinePolicy = Field(default_factory=BaselinePolicy)
    source: str = Field(default="<defaults>", exclude=True)


def load_policy(path: Path) -> Policy:
    policy = load_model(
        path,
        Policy,
        PolicyError,
        not_mapping="a policy is a mapping (version, score, objectives, ...)",
        field_prefix="field ",
    )
    policy.source = str(path)
    return policy
