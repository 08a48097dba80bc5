"""Adapters from the game day to the three exercisers: Locust load, probes, chaos."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx

from chaos_experiments import runner as chaos_runner
from harness.gameday.platform_handle import PlatformHandle
from harness.gameday.profile import PROJECT_ROOT, LoadSettings, Round
from harness.gameday.progress import PhaseProgress
from load_scenarios import runner
from reports.record import ConfirmationQuery, LoadSummary, ProbeSummary, RoundRecord

StatusLine = Callable[[], str]

_SAMPLE = re.compile(r"^probe_runs_total\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.eE+-]+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def probe_counts(platform: PlatformHandle) -> dict[tuple[str, str], float]:
    """``probe_runs_total`` by (journey, result) from the probe runner, {} without one."""
    if not platform.has("probe-runner"):
        return {}
    try:
        text = httpx.get(platform.url("probe-runner") + "/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    counts: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            labels = dict(_LABEL.findall(match["labels"]))
            key = (labels.get("journey", ""), labels.get("result", ""))
            counts[key] = counts.get(key, 0.0) + float(match["value"])
    return counts


def probe_summary(platform: PlatformHandle, before: dict[tuple[str, str], float]) -> ProbeSummary:
    after = probe_counts(platform)
    summary = ProbeSummary()
    for (journey, result), value in after.items():
        delta = int(value - before.get((journey, result), 0.0))
        per_journey = summary.by_journey.setdefault(journey, {"success": 0, "failure": 0})
        per_journey[result] = per_journey.get(result, 0) + delta
        summary.runs += delta
        if result == "failure":
            summary.failures += delta
    return summary


class LoadRun:
    """Locust in the background for the whole game (a subprocess: never imported here)."""

    def __init__(self, run: runner.LoadRun) -> None:
        self.run = run

    def status(self) -> str:
        line = self.run.summary_line()
        return line.split("s ", 1)[-1] if line else "load starting"

    def stop(self) -> LoadSummary:
        self.run.stop()
        result = self.run.wait(timeout=60)
        total = result.total
        return LoadSummary(
            requests=total.requests if total else 0,
            failures=total.failures if total else 0,
            rps=total.rps if total else 0.0,
            p95_ms=total.p95_ms if total else None,
            exit_code=result.exit_code,
            stats_path=str(result.out_dir),
        )


def start_load(
    platform: PlatformHandle, settings: LoadSettings, out_dir: Path, duration_s: float
) -> LoadRun:
    plan = runner.LoadPlan(
        gateway_url=platform.url("gateway"),
        scenario=settings.scenario,
        shape=settings.shape,
        duration_s=duration_s,
        users=settings.users,
        spawn_rate=settings.spawn_rate,
    )
    plan.validate()
    return LoadRun(runner.start_load(plan, out_dir))


class RoundInterrupted(KeyboardInterrupt):
    """The operator stopped the game during a round; its rollbacks ran."""

    def __init__(self, record: RoundRecord) -> None:
        super().__init__(f"round {record.name} interrupted")
        self.record = record


def play_round(
    platform: PlatformHandle, game_round: Round, journal_dir: Path, progress: PhaseProgress
) -> RoundRecord:
    """One chaos experiment; its rollbacks always run. Ctrl-C or SIGTERM during it raises
    RoundInterrupted carrying the round's record, once the rollbacks are done."""
    endpoints = chaos_runner.PlatformEndpoints.from_run_dir(platform.run_dir)
    try:
        result = chaos_runner.run(
            str(PROJECT_ROOT / game_round.experiment),
            endpoints,
            progress=lambda line: progress.line("  " + line),
            journal_dir=journal_dir,
            configuration=game_round.configuration,
        )
    except chaos_runner.ChaosInterrupted as stopped:
        raise RoundInterrupted(_round_record(game_round, stopped.result)) from None
    return _round_record(game_round, result)


def _round_record(game_round: Round, result: chaos_runner.ChaosResult) -> RoundRecord:
    return RoundRecord(
        name=game_round.name,
        experiment=game_round.experiment,
        started_at=result.started_at,
        ended_at=result.ended_at,
        fault_started_at=result.fault_started_at,
        fault_ended_at=result.fault_ended_at,
        chaos_status=result.status,
        deviated=result.deviated,
        rollbacks_applied=result.rollbacks_succeeded,
        expected_alerts=list(result.expected_alerts),
        impact=list(result.impact),
        confirmation=ConfirmationQuery(
            query=result.confirmation.query, description=result.confirmation.description
        )
        if result.confirmation
        else None,
        max_recovery_seconds=result.max_recovery_seconds,
        journal=str(result.journal_path),
        failed_activities=list(result.failed_activities),
    )
