"""What a game day collects while it plays: the input of the scorer.

The game day writes it as ``game.json`` in its report folder; ``harness score`` (and the
tests, on recorded data) turn it into a report. Times are Unix epoch seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

RECORD_VERSION = 1


class ConfirmationQuery(BaseModel):
    """The experiment's way to see that its fault took effect (chaos_experiments/catalog)."""

    query: str = Field(description="PromQL with a {window} placeholder; above 0: it did")
    description: str = ""


class RoundRecord(BaseModel):
    name: str
    experiment: str = Field(description="chaos experiment file, relative to the repository")
    started_at: float
    ended_at: float
    fault_started_at: float | None = None
    fault_ended_at: float | None = None
    chaos_status: str = Field(description="journal status: completed|failed|aborted|interrupted")
    deviated: bool = False
    rollbacks_applied: bool = True
    expected_alerts: list[str] = Field(default_factory=list)
    impact: list[str] = Field(
        default_factory=list, description="SLOs (service/name) the fault may burn"
    )
    confirmation: ConfirmationQuery | None = None
    max_recovery_seconds: float = 60.0
    journal: str | None = Field(default=None, description="path of the chaos journal")
    failed_activities: list[str] = Field(default_factory=list)


class LoadSummary(BaseModel):
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p95_ms: float | None = None
    exit_code: int | None = None
    stats_path: str | None = None


class ProbeSummary(BaseModel):
    runs: int = 0
    failures: int = 0
    by_journey: dict[str, dict[str, int]] = Field(default_factory=dict)


class GameRecord(BaseModel):
    version: int = RECORD_VERSION
    run_id: str
    profile: str
    git_revision: str = "unknown"
    started_at: float
    ended_at: float
    complete: bool = Field(description="false when the game was interrupted")
    prometheus_url: str
    slo_profile: str = Field(default="game", description="rule profile Prometheus loaded")
    warmup_ended_at: float | None = None
    rounds: list[RoundRecord] = Field(default_factory=list)
    alerts_log: str | None = Field(
        default=None, description="JSON lines of Alertmanager notifications from the receiver"
    )
    audit: dict[str, Any] | None = Field(default=None, description="harness.audit report")
    load: LoadSummary = Field(default_factory=LoadSummary)
    probes: ProbeSummary = Field(default_factory=ProbeSummary)
    notes: list[str] = Field(default_factory=list)

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load_file(cls, path: Path) -> GameRecord:
        return cls.model_validate(json.loads(path.read_text()))
