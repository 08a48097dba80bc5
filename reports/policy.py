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


class SloOverride(_Strict):
    weight: float | None = Field(default=None, ge=0)
    key: bool | None = None
    pass_burn_rate: float | None = Field(default=None, gt=0)
    warning_burn_rate: float | None = Field(default=None, gt=0)
    regression_tolerance: float | None = Field(default=None, ge=0)


class SloObjectives(Weighted):
    key: bool = True
    pass_burn_rate: float = Field(default=1.0, gt=0, description="steady burn rate that passes")
    warning_burn_rate: float = Field(default=2.0, gt=0)
    overrides: dict[str, SloOverride] = Field(default_factory=dict)

    def for_slo(self, slug: str) -> SloOverride:
        """The effective settings of one SLO (overrides over defaults)."""
        own = self.overrides.get(slug, SloOverride())
        return SloOverride(
            weight=self.weight if own.weight is None else own.weight,
            key=self.key if own.key is None else own.key,
            pass_burn_rate=own.pass_burn_rate or self.pass_burn_rate,
            warning_burn_rate=own.warning_burn_rate or self.warning_burn_rate,
            regression_tolerance=own.regression_tolerance,
        )


class AlertObjectives(Weighted):
    max_time_to_detect_s: float = Field(default=90, gt=0)
    warning_time_to_detect_s: float = Field(default=150, gt=0)


class RecoveryObjectives(Weighted):
    weight: float = 2
    window_s: int = Field(default=30, ge=5, description="rate window of the recovery check")
    step_s: int = Field(default=5, ge=1, description="range-query step of the timeline")
    warning_factor: float = Field(default=1.5, ge=1, description="x max_recovery_seconds")
    slos: list[str] = Field(
        default_factory=lambda: [
            "gateway/browse-availability",
            "gateway/auth-availability",
            "gateway/checkout-availability",
        ]
    )


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
    noise: NoiseObjectives = Field(default_factory=NoiseObjectives)
    load: FailureRatioObjectives = Field(default_factory=FailureRatioObjectives)
    probes: FailureRatioObjectives = Field(default_factory=FailureRatioObjectives)


class BaselinePolicy(_Strict):
    tolerance: float = Field(default=0.2, ge=0, description="relative burn-rate increase")
    min_burn_rate: float = Field(default=0.1, ge=0, description="below this, changes are noise")
    on_regression: Literal["warning", "fail"] = "warning"


class Policy(_Strict):
    version: Literal[1] = 1
    score: ScoreThresholds = Field(default_factory=ScoreThresholds)
    incomplete_game: Literal["warning", "fail"] = "fail"
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
