"""The report of a scored game day: what was measured and how it was judged.

Serialised as ``report.json``; its JSON Schema is ``reports/schema/report.schema.json``
(generated from these models, checked by the tests). Bump ``REPORT_SCHEMA_VERSION`` on
any change that is not a new optional field. Times are Unix epoch seconds; ratios are
floats in [0, 1]; ``None`` means "not measured" (no traffic, or Prometheus unreachable).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from reports.record import LoadSummary, ProbeSummary

REPORT_SCHEMA_VERSION = 2
SCHEMA_ID = "https://commerce-reliability-harness.example/schemas/report-v2.json"

# "inconclusive": measured, but on too little evidence to judge (or a fault that was not
# confirmed); "unavailable": could not be measured at all (Prometheus gone, no alert log).
Status = Literal["pass", "warning", "fail", "inconclusive", "unavailable"]
Verdict = Literal["pass", "warning", "fail", "inconclusive"]


class ReportError(Exception):
    """A report file that cannot be read; the message names the file."""


class SliResult(BaseModel):
    """One SLO over one stretch of time."""

    label: str = Field(description="'game', 'steady' or a round's name")
    window_s: float = Field(description="seconds of time measured")
    available: bool = Field(description="false when Prometheus could not answer")
    events: float | None = Field(default=None, description="SLI events in the window")
    bad_events: float | None = None
    error_ratio: float | None = Field(default=None, description="bad / total; None: no traffic")
    sli: float | None = Field(default=None, description="1 - error_ratio")
    burn_rate: float | None = Field(default=None, description="error_ratio / error budget")
    budget_burned: float | None = Field(
        default=None,
        description="share of the period's error budget spent in the window "
        "(error_ratio x window / (error budget x period))",
    )
    met: bool | None = Field(default=None, description="sli >= objective")
    in_impact: bool | None = Field(
        default=None,
        description="rounds only: whether the round's experiment declared this SLO in its impact",
    )
    statistic: str | None = Field(
        default=None, description="the test behind the judgement, when one was made"
    )
    p_value: float | None = None
    significant: bool | None = Field(
        default=None, description="error ratio above the budget at the policy's confidence"
    )


class BucketCounts(BaseModel):
    """Requests per latency bucket over the judged time (for rank tests against a baseline)."""

    le: list[str] = Field(description="upper bounds, fastest first, '+Inf' last")
    counts: list[float] = Field(description="requests in each bucket (not cumulative)")


class SloResult(BaseModel):
    slug: str = Field(description="service/name")
    service: str
    name: str
    description: str
    kind: Literal["events", "latency"]
    objective: float = Field(description="percent")
    error_budget: float = Field(description="1 - objective ratio")
    period_s: float = Field(description="the period budgets are counted against (scaled)")
    game: SliResult
    steady: SliResult = Field(description="outside every fault window and its recovery time")
    judged: SliResult = Field(
        description="what the objective judges: the whole game minus the fault windows (and "
        "recovery) of the rounds that declared this SLO in their impact"
    )
    rounds: list[SliResult] = Field(
        default_factory=list,
        description="one per round, in order: its fault window and recovery allowance",
    )
    buckets: BucketCounts | None = Field(
        default=None, description="latency SLOs: bucket counts over the judged time"
    )


class AlertDetection(BaseModel):
    alertname: str
    fired: bool = Field(description="a firing notification reached the receiver")
    notified_at: float | None = None
    time_to_detect_s: float | None = Field(
        default=None, description="fault start -> first firing notification"
    )
    prometheus_firing_at: float | None = Field(
        default=None, description="first firing sample of the ALERTS series"
    )
    cross_check: Literal["agree", "receiver-only", "prometheus-only", "neither", "unavailable"]


class SloRecovery(BaseModel):
    slug: str
    recovered: bool
    recovery_s: float | None = Field(
        default=None, description="fault end -> start of the first rate window within objective"
    )


class RecoveryResult(BaseModel):
    available: bool
    recovered: bool | None = None
    recovery_s: float | None = Field(
        default=None, description="the slowest recovery among the SLOs the fault hit"
    )
    max_recovery_s: float
    window_s: float
    watched_s: float | None = Field(
        default=None,
        description="how long after the fault its recovery could be watched (until the next "
        "fault or the end of the game)",
    )
    slos: list[str] = Field(
        default_factory=list, description="SLOs the fault hit (above budget during the fault)"
    )
    by_slo: list[SloRecovery] = Field(default_factory=list)


class FaultConfirmation(BaseModel):
    """Evidence that a round's fault took effect, from the experiment's declared query."""

    status: Literal["confirmed", "not confirmed", "inconclusive"]
    description: str = ""
    query: str | None = None
    value: float | None = None
    detail: str = ""


class RoundResult(BaseModel):
    name: str
    experiment: str
    started_at: float
    ended_at: float
    fault_started_at: float | None = None
    fault_ended_at: float | None = None
    chaos_status: str
    deviated: bool
    rollbacks_applied: bool
    journal: str | None = None
    impact: list[str] = Field(
        default_factory=list, description="SLOs the experiment declared its fault may burn"
    )
    alerts: list[AlertDetection] = Field(default_factory=list)
    recovery: RecoveryResult
    confirmation: FaultConfirmation = Field(
        default_factory=lambda: FaultConfirmation(status="inconclusive", detail="not measured")
    )


class Page(BaseModel):
    alertname: str
    received_at: float
    labels: dict[str, str] = Field(default_factory=dict)


class NoiseResult(BaseModel):
    available: bool = Field(description="false when no alert log was recorded")
    unexpected_pages: list[Page] = Field(default_factory=list)


class Series(BaseModel):
    slug: str
    t: list[float]
    error_ratio: list[float | None]
    events: list[float] = Field(
        default_factory=list, description="SLI events in the rate window ending at each t"
    )


class AlertSpan(BaseModel):
    alertname: str
    start: float
    end: float


class Timeline(BaseModel):
    """Range-query data for the charts (and the recovery measurement)."""

    step_s: float
    window_s: float
    series: list[Series] = Field(default_factory=list)
    alerts: list[AlertSpan] = Field(default_factory=list, description="firing spans from ALERTS")


class BaselineComparison(BaseModel):
    run_id: str
    value: float | None = Field(default=None, description="the baseline's value")
    regression: bool
    statistic: str | None = Field(default=None, description="the test and its result")


class Objective(BaseModel):
    id: str
    kind: Literal[
        "integrity", "slo", "alert", "recovery", "chaos", "fault", "noise", "load", "probes"
    ]
    round: str | None = None
    description: str
    value: float | None = None
    display: str = Field(description="the value as people read it")
    criterion: str = Field(description="what passes, and what only warns")
    status: Status
    weight: float
    key: bool
    score: float = Field(description="weight on pass, half on warning, 0 otherwise")
    events: float | None = Field(
        default=None, description="how many events the judgement rests on, where it counts"
    )
    statistic: str | None = Field(default=None, description="the test behind the status")
    baseline: BaselineComparison | None = None


class Evaluation(BaseModel):
    verdict: Verdict
    score: float = Field(description="0-100: 100 x sum of scores / sum of weights")
    pass_threshold: float
    warning_threshold: float
    reasons: list[str] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    policy: str
    baseline_run_id: str | None = None


class Report(BaseModel):
    schema_version: int = REPORT_SCHEMA_VERSION
    run_id: str
    profile: str
    git_revision: str
    started_at: float
    ended_at: float
    complete: bool
    created_at: float
    prometheus_url: str
    prometheus_available: bool
    slo_profile: str
    slos: list[SloResult] = Field(default_factory=list)
    rounds: list[RoundResult] = Field(default_factory=list)
    noise: NoiseResult
    integrity: dict[str, Any] | None = Field(default=None, description="harness audit result")
    load: LoadSummary
    probes: ProbeSummary
    timeline: Timeline | None = None
    notes: list[str] = Field(default_factory=list)
    evaluation: Evaluation | None = Field(default=None, description="set by the gate")

    @property
    def duration_s(self) -> float:
        return self.ended_at - self.started_at

    def slo(self, slug: str) -> SloResult | None:
        return next((s for s in self.slos if s.slug == slug), None)

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load_file(cls, path: Path) -> Report:
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise ReportError(f"{path}: not JSON (line {exc.lineno})") from None
        if isinstance(data, dict) and data.get("schema_version") not in (
            None,
            REPORT_SCHEMA_VERSION,
        ):
            raise ReportError(
                f"{path}: schema_version {data.get('schema_version')!r} is not supported "
                f"(this harness reads {REPORT_SCHEMA_VERSION})"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top)"
            raise ReportError(f"{path}: field {where}: {first['msg']}") from None


def json_schema() -> dict[str, Any]:
    schema = Report.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "Game day report",
        "description": f"report.json of a scored game day, schema version {REPORT_SCHEMA_VERSION}",
    }
