"""Score a recorded game day: SLOs, alerts, recovery, noise and integrity -> a report.

SLIs are computed from the SLO specs' own event queries (slo.rules.events_expression) over
exactly the stretch of time measured, so no recording rule has to exist for the span.
For a window of W seconds ending at t: events = rate over [W s] at t x W. A period's budget
is the game profile's scaled period (30 d -> 1 h), so the share of budget a window burned
is error ratio x W / ((1 - objective) x period).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from reports import alerts, gate
from reports.model import (
    NoiseResult,
    RecoveryResult,
    Report,
    RoundResult,
    Series,
    SliResult,
    SloResult,
    Timeline,
)
from reports.policy import Policy, load_policy
from reports.record import GameRecord, RoundRecord
from reports.source import MetricSource, PrometheusSource, QueryFailed, SourceUnavailable
from slo.model import SLO, LatencySLI, load_specs
from slo.profiles import DEFAULT, PROFILES
from slo.rules import events_expression

SPECS_DIR = Path(__file__).resolve().parents[1] / "slo" / "specs"
MIN_SEGMENT_S = 10  # a steady stretch shorter than this holds too few scrapes to rate
RAMP_S = 15  # users spawning and test data being made: not yet steady
RECOVERY_MARGIN_S = 10  # two scrapes: the last fault-time samples are out of the way
MAX_POINTS = 10_000  # Prometheus refuses range queries above 11,000 points
# An alert counts as firing at t when a firing sample exists in the last two rule
# evaluations: this does not depend on staleness markers (absent from backfilled data).
ALERTS_QUERY = 'count_over_time(ALERTS{{alertstate="firing"}}[{lookback}s])'
DEFAULT_EVALUATION_S = 15

T = TypeVar("T")


class _Prometheus:
    """The metric source plus what went wrong with it, for the report's notes."""

    def __init__(self, source: MetricSource | None, notes: list[str]) -> None:
        self.source = source
        self.available = source is not None
        self.notes = notes

    def ask(self, request: Callable[[MetricSource], T]) -> T | None:
        if not self.available or self.source is None:
            return None
        try:
            return request(self.source)
        except SourceUnavailable as exc:
            self.available = False
            self.notes.append(f"SLO results unavailable: {exc}")
        except QueryFailed as exc:
            self.notes.append(f"a Prometheus query failed: {exc}")
        return None


def _by_event(result: list[dict[str, Any]], value_key: str) -> dict[str, Any]:
    return {series["metric"].get("slo_event", ""): series[value_key] for series in result}


def _number(text: Any) -> float | None:
    value = float(text)
    return None if math.isnan(value) or math.isinf(value) else value


def _events(prom: _Prometheus, slo: SLO, window_s: int, at: float) -> tuple[float, float] | None:
    """(bad, total) events of the window that ends at `at`."""
    result = prom.ask(lambda s: s.instant(events_expression(slo, f"{window_s}s"), at))
    if result is None:
        return None
    values = _by_event(result, "value")
    total = _number(values["total"][1]) if "total" in values else 0.0
    bad = _number(values["bad"][1]) if "bad" in values else 0.0
    return (bad or 0.0) * window_s, (total or 0.0) * window_s


def sli_result(
    label: str, slo: SLO, period_s: float, window_s: float, events: tuple[float, float] | None
) -> SliResult:
    if events is None:
        return SliResult(label=label, window_s=window_s, available=False)
    bad, total = events
    if total <= 0:
        return SliResult(label=label, window_s=window_s, available=True, events=0, bad_events=0)
    budget = float(slo.error_budget)
    ratio = min(max(bad / total, 0.0), 1.0)
    return SliResult(
        label=label,
        window_s=window_s,
        available=True,
        events=total,
        bad_events=bad,
        error_ratio=ratio,
        sli=1 - ratio,
        burn_rate=ratio / budget,
        budget_burned=ratio * window_s / (budget * period_s),
        met=1 - ratio >= float(slo.objective_ratio),
    )


def _window(
    prom: _Prometheus, slo: SLO, period_s: float, label: str, start: float, end: float
) -> SliResult:
    window_s = max(1, round(end - start))
    return sli_result(label, slo, period_s, window_s, _events(prom, slo, window_s, end))


def steady_segments(
    record: GameRecord, recovered_after: list[float | None] | None = None
) -> list[tuple[float, float]]:
    """The game without its faults: from a short ramp after the start, minus every fault
    window and the time its round took to recover (measured; the experiment's allowance
    when unmeasured or not recovered), plus one rate window of margin."""
    start = record.started_at + RAMP_S
    measured = recovered_after or [None] * len(record.rounds)
    holes = sorted(
        (
            r.fault_started_at or r.started_at,
            (r.fault_ended_at or r.ended_at)
            + (took if took is not None else r.max_recovery_seconds)
            + RECOVERY_MARGIN_S,
        )
        for r, took in zip(record.rounds, measured, strict=True)
    )
    segments, cursor = [], start
    for hole_start, hole_end in holes:
        if hole_start > cursor:
            segments.append((cursor, min(hole_start, record.ended_at)))
        cursor = max(cursor, hole_end)
    if cursor < record.ended_at:
        segments.append((cursor, record.ended_at))
    return [(a, b) for a, b in segments if b - a >= MIN_SEGMENT_S]


def _steady(
    prom: _Prometheus, slo: SLO, period_s: float, segments: list[tuple[float, float]]
) -> SliResult:
    bad = total = 0.0
    seconds = 0
    for start, end in segments:
        window_s = max(1, round(end - start))
        events = _events(prom, slo, window_s, end)
        if events is None:
            return SliResult(
                label="steady", window_s=sum(b - a for a, b in segments), available=False
            )
        bad, total, seconds = bad + events[0], total + events[1], seconds + window_s
    return sli_result("steady", slo, period_s, seconds, (bad, total))


def _slo_result(
    prom: _Prometheus, slo: SLO, record: GameRecord, segments: list[tuple[float, float]]
) -> SloResult:
    profile = PROFILES.get(record.slo_profile, DEFAULT)
    period_s = profile.window(slo, slo.nominal_period_seconds)
    return SloResult(
        slug=f"{slo.service}/{slo.name}",
        service=slo.service,
        name=slo.name,
        description=slo.description,
        kind="latency" if isinstance(slo.sli, LatencySLI) else "events",
        objective=float(slo.objective),
        error_budget=float(slo.error_budget),
        period_s=period_s,
        game=_window(prom, slo, period_s, "game", record.started_at, record.ended_at),
        steady=_steady(prom, slo, period_s, segments),
        rounds=[
            _window(prom, slo, period_s, r.name, r.started_at, r.ended_at) for r in record.rounds
        ],
    )


def _step(record: GameRecord, wanted: float) -> float:
    return max(wanted, math.ceil((record.ended_at - record.started_at) / MAX_POINTS))


def _series(
    prom: _Prometheus, slo: SLO, record: GameRecord, window_s: int, step: float
) -> Series | None:
    result = prom.ask(
        lambda s: s.range(
            events_expression(slo, f"{window_s}s"), record.started_at, record.ended_at, step
        )
    )
    if result is None:
        return None
    values = _by_event(result, "values")
    bad = {float(t): _number(v) or 0.0 for t, v in values.get("bad", [])}
    times = [float(t) for t, _ in values.get("total", [])]
    ratios: list[float | None] = []
    for t, v in values.get("total", []):
        total = _number(v) or 0.0
        ratios.append(min(max(bad.get(float(t), 0.0) / total, 0.0), 1.0) if total > 0 else None)
    return Series(slug=f"{slo.service}/{slo.name}", t=times, error_ratio=ratios)


def recovery(
    game_round: RoundRecord,
    window_end: float,
    timeline: Timeline | None,
    budgets: dict[str, float],
    slugs: list[str],
    window_s: int,
) -> RecoveryResult:
    """Fault end -> the start of the first rate window, ending after the fault, in which
    every recovery SLO with traffic meets its objective (error ratio <= error budget)."""
    base = RecoveryResult(
        available=False,
        max_recovery_s=game_round.max_recovery_seconds,
        window_s=window_s,
        slos=slugs,
    )
    series = [s for s in (timeline.series if timeline else []) if s.slug in slugs]
    if not series:
        return base
    fault_end = game_round.fault_ended_at or game_round.ended_at
    for index, t in enumerate(series[0].t):
        if t < fault_end or t > window_end:
            continue
        ratios = [(s.slug, s.error_ratio[index]) for s in series if index < len(s.error_ratio)]
        with_traffic = [(slug, r) for slug, r in ratios if r is not None]
        if with_traffic and all(r <= budgets[slug] for slug, r in with_traffic):
            return base.model_copy(
                update={
                    "available": True,
                    "recovered": True,
                    "recovery_s": max(0.0, t - window_s - fault_end),
                }
            )
    return base.model_copy(update={"available": True, "recovered": False})


def measure(
    record: GameRecord, source: MetricSource | None, policy: Policy, notes: list[str]
) -> Report:
    """Everything the report says about the game, before it is judged."""
    prom = _Prometheus(source, notes)
    slos = load_specs(SPECS_DIR)

    settings = policy.objectives.recovery
    step = _step(record, settings.step_s)
    all_series = [_series(prom, slo, record, settings.window_s, step) for slo in slos]
    alert_step = _step(record, 1)
    evaluation_s = (
        PROFILES.get(record.slo_profile, DEFAULT).evaluation_interval or DEFAULT_EVALUATION_S
    )
    alerts_query = ALERTS_QUERY.format(lookback=2 * evaluation_s)
    alerts_result = prom.ask(
        lambda s: s.range(alerts_query, record.started_at, record.ended_at, alert_step)
    )
    timeline = None
    if prom.available and all(s is not None for s in all_series):
        timeline = Timeline(
            step_s=step,
            window_s=settings.window_s,
            series=[s for s in all_series if s is not None],
            alerts=alerts.firing_spans(alerts_result or [], alert_step),
        )
    spans = timeline.alerts if timeline is not None and alerts_result is not None else None

    notifications: list[alerts.Notification] | None = None
    if record.alerts_log and Path(record.alerts_log).exists():
        notifications, unreadable = alerts.read_alert_log(Path(record.alerts_log))
        notes.extend(unreadable)
    else:
        notes.append("no alert log recorded: alert notifications and noise are unavailable")

    budgets = {f"{slo.service}/{slo.name}": float(slo.error_budget) for slo in slos}
    windows = alerts.attribution_windows(record)
    rounds = [
        RoundResult(
            name=r.name,
            experiment=r.experiment,
            started_at=r.started_at,
            ended_at=r.ended_at,
            fault_started_at=r.fault_started_at,
            fault_ended_at=r.fault_ended_at,
            chaos_status=r.chaos_status,
            deviated=r.deviated,
            rollbacks_applied=r.rollbacks_applied,
            journal=r.journal,
            alerts=alerts.detect(r, window, notifications, spans),
            recovery=recovery(r, window[1], timeline, budgets, settings.slos, settings.window_s),
        )
        for r, window in zip(record.rounds, windows, strict=True)
    ]
    segments = steady_segments(
        record, [r.recovery.recovery_s if r.recovery.recovered else None for r in rounds]
    )
    slo_results = [_slo_result(prom, slo, record, segments) for slo in slos]
    return Report(
        run_id=record.run_id,
        profile=record.profile,
        git_revision=record.git_revision,
        started_at=record.started_at,
        ended_at=record.ended_at,
        complete=record.complete,
        created_at=time.time(),
        prometheus_url=record.prometheus_url,
        prometheus_available=prom.available,
        slo_profile=record.slo_profile,
        slos=slo_results,
        rounds=rounds,
        noise=NoiseResult(
            available=notifications is not None,
            unexpected_pages=alerts.unexpected_pages(record, notifications or []),
        ),
        integrity=record.audit,
        load=record.load,
        probes=record.probes,
        timeline=timeline,
        notes=[*record.notes, *notes],
    )


def score_game(
    record: GameRecord,
    *,
    prometheus: str | None = None,
    policy_path: Path,
    baseline: Report | None,
    source: MetricSource | None = None,
) -> Report:
    """Measure a game from Prometheus (``prometheus`` or the record's URL) and judge it.

    ``source`` replaces Prometheus (recorded answers in tests, or a recorder). When
    Prometheus is gone the report is still produced from the record alone, its SLO
    results marked unavailable.
    """
    policy = load_policy(policy_path)
    notes: list[str] = []
    if source is None:
        candidate = PrometheusSource(prometheus or record.prometheus_url)
        if candidate.reachable():
            source = candidate
        else:
            notes.append(f"SLO results unavailable: Prometheus at {candidate.url} is not reachable")
    report = measure(record, source, policy, notes)
    report.evaluation = gate.evaluate(report, policy, baseline).evaluation
    return report
