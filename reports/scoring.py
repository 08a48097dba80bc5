"""Score a recorded game day: SLOs, blast radius, alerts, recovery, fault confirmation,
noise and integrity -> a report.

SLIs are computed from the SLO specs' own event queries (slo.rules.events_expression) over
exactly the stretches of time judged, so no recording rule has to exist for them. For a
window of W seconds ending at t: events = rate over [W s] at t x W. A period's budget is
the game profile's scaled period (30 d -> 1 h), so the share of budget a window burned is
error ratio x W / ((1 - objective) x period).

What each SLO is judged on (its blast radius): the whole game, fault windows included,
minus the fault windows (and recovery) of the rounds whose experiment declared the SLO in
its ``impact``. Each round's own window is measured too, so a burn outside a round's
declared impact is pinned on that round. Every judgement carries its event counts and an
exact binomial test of "the error ratio is above the budget" (reports/statistics.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from reports import alerts, gate
from reports.model import (
    BucketCounts,
    FaultConfirmation,
    NoiseResult,
    RecoveryResult,
    Report,
    RoundResult,
    Series,
    SliResult,
    SloRecovery,
    SloResult,
    Timeline,
)
from reports.policy import Policy, load_policy
from reports.record import GameRecord, RoundRecord
from reports.source import MetricSource, PrometheusSource, QueryFailed, SourceUnavailable
from reports.statistics import exceeds_ratio
from slo.model import SLO, LatencySLI, load_specs
from slo.profiles import DEFAULT, PROFILES
from slo.rules import alert_name, events_expression

SPECS_DIR = Path(__file__).resolve().parents[1] / "slo" / "specs"
MIN_SEGMENT_S = 10  # a stretch shorter than this holds too few scrapes to rate
RAMP_S = 15  # users spawning and test data being made: not yet steady
# A page's windows reach back this far (the game profile's shortest alert window): one
# received this soon after the ramp was caused by the ramp.
NOISE_GRACE_S = 30
RECOVERY_MARGIN_S = 10  # two scrapes: the last fault-time samples are out of the way
CONFIRM_MARGIN_S = 15  # a fault's evidence is scraped and evaluated within this
MAX_POINTS = 10_000  # Prometheus refuses range queries above 11,000 points
# An alert counts as firing at t when a firing sample exists in the last two rule
# evaluations: this does not depend on staleness markers (absent from backfilled data).
ALERTS_QUERY = 'count_over_time(ALERTS{{alertstate="firing"}}[{lookback}s])'
DEFAULT_EVALUATION_S = 15

T = TypeVar("T")
Segments = list[tuple[float, float]]


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


def _segment_events(prom: _Prometheus, slo: SLO, segments: Segments) -> tuple[float, float] | None:
    bad = total = 0.0
    for start, end in segments:
        events = _events(prom, slo, max(1, round(end - start)), end)
        if events is None:
            return None
        bad, total = bad + events[0], total + events[1]
    return bad, total


def sli_result(
    label: str,
    slo: SLO,
    period_s: float,
    window_s: float,
    events: tuple[float, float] | None,
    policy: Policy,
) -> SliResult:
    if events is None:
        return SliResult(label=label, window_s=window_s, available=False)
    bad, total = events
    if total <= 0:
        return SliResult(label=label, window_s=window_s, available=True, events=0, bad_events=0)
    budget = float(slo.error_budget)
    ratio = min(max(bad / total, 0.0), 1.0)
    settings = policy.objectives.slo.for_slo(f"{slo.service}/{slo.name}", policy.evidence)
    finding = exceeds_ratio(
        round(bad), max(round(total), 1), budget * settings.pass_burn_rate,
        policy.evidence.confidence,
    )  # fmt: skip
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
        statistic=finding.statistic,
        p_value=finding.p_value,
        significant=finding.significant,
    )


def _measure_segments(
    prom: _Prometheus, slo: SLO, period_s: float, label: str, segments: Segments, policy: Policy
) -> SliResult:
    seconds = sum(end - start for start, end in segments)
    if not segments:
        return SliResult(label=label, window_s=0, available=prom.available, events=0)
    return sli_result(label, slo, period_s, seconds, _segment_events(prom, slo, segments), policy)


def subtract(span: tuple[float, float], holes: Iterable[tuple[float, float]]) -> Segments:
    """``span`` minus ``holes``; stretches shorter than MIN_SEGMENT_S are dropped."""
    start, end = span
    segments, cursor = [], start
    for hole_start, hole_end in sorted(holes):
        if hole_start > cursor:
            segments.append((cursor, min(hole_start, end)))
        cursor = max(cursor, hole_end)
    if cursor < end:
        segments.append((cursor, end))
    return [(a, b) for a, b in segments if b - a >= MIN_SEGMENT_S]


def fault_window(game_round: RoundRecord) -> tuple[float, float]:
    return (
        game_round.fault_started_at or game_round.started_at,
        game_round.fault_ended_at or game_round.ended_at,
    )


def _hole(game_round: RoundRecord, recovered_after: float | None) -> tuple[float, float]:
    """A round's fault window plus its recovery: the one measured, else the allowance."""
    start, end = fault_window(game_round)
    allowance = recovered_after if recovered_after is not None else game_round.max_recovery_seconds
    return start, end + allowance + RECOVERY_MARGIN_S


def steady_segments(
    record: GameRecord, recovered_after: list[float | None] | None = None
) -> Segments:
    """The game without any fault: from a short ramp after the start, minus every fault
    window and the time its round took to recover (measured; the experiment's allowance
    when unmeasured or not recovered), plus one rate window of margin."""
    measured = recovered_after or [None] * len(record.rounds)
    holes = [_hole(r, took) for r, took in zip(record.rounds, measured, strict=True)]
    return subtract((record.started_at + RAMP_S, record.ended_at), holes)


def judged_segments(
    record: GameRecord, slug: str, recovered_after: list[float | None] | None = None
) -> Segments:
    """What an SLO is judged on: the game minus only the rounds that declared it."""
    measured = recovered_after or [None] * len(record.rounds)
    holes = [
        _hole(r, took) for r, took in zip(record.rounds, measured, strict=True) if slug in r.impact
    ]
    return subtract((record.started_at + RAMP_S, record.ended_at), holes)


def round_span(record: GameRecord, index: int) -> tuple[float, float]:
    """A round's fault and what it may leave behind: until its recovery allowance ends or
    the next round starts, whichever comes first."""
    game_round = record.rounds[index]
    start, end = fault_window(game_round)
    following = (
        record.rounds[index + 1].started_at if index + 1 < len(record.rounds) else record.ended_at
    )
    return start, max(end, min(end + game_round.max_recovery_seconds, following))


def _buckets(prom: _Prometheus, slo: SLO, segments: Segments) -> BucketCounts | None:
    """Requests per latency bucket over the segments (latency SLOs)."""
    sli = slo.sli
    if not isinstance(sli, LatencySLI) or not segments:
        return None
    cumulative: dict[str, float] = {}
    for start, end in segments:
        window = max(1, round(end - start))
        query = f"sum by (le) (increase({sli.metric}_bucket{{{sli.selector}}}[{window}s]))"
        result = prom.ask(lambda s, q=query, at=end: s.instant(q, at))  # type: ignore[misc]
        if result is None:
            return None
        for series in result:
            le = series["metric"].get("le", "+Inf")
            cumulative[le] = cumulative.get(le, 0.0) + (_number(series["value"][1]) or 0.0)
    ordered = sorted(cumulative, key=lambda le: math.inf if le == "+Inf" else float(le))
    counts, previous = [], 0.0
    for le in ordered:
        counts.append(max(cumulative[le] - previous, 0.0))
        previous = cumulative[le]
    return BucketCounts(le=ordered, counts=counts)


def _slo_result(
    prom: _Prometheus,
    slo: SLO,
    record: GameRecord,
    policy: Policy,
    recovered_after: dict[str, list[float | None]],
) -> SloResult:
    profile = PROFILES.get(record.slo_profile, DEFAULT)
    period_s = profile.window(slo, slo.nominal_period_seconds)
    slug = f"{slo.service}/{slo.name}"
    measured = recovered_after.get(slug)
    judged = judged_segments(record, slug, measured)
    rounds = []
    for index, game_round in enumerate(record.rounds):
        result = _measure_segments(
            prom, slo, period_s, game_round.name, [round_span(record, index)], policy
        )
        rounds.append(result.model_copy(update={"in_impact": slug in game_round.impact}))
    return SloResult(
        slug=slug,
        service=slo.service,
        name=slo.name,
        description=slo.description,
        kind="latency" if isinstance(slo.sli, LatencySLI) else "events",
        objective=float(slo.objective),
        error_budget=float(slo.error_budget),
        period_s=period_s,
        game=_measure_segments(
            prom, slo, period_s, "game", [(record.started_at, record.ended_at)], policy
        ),
        steady=_measure_segments(
            prom, slo, period_s, "steady", steady_segments(record, measured), policy
        ),
        judged=_measure_segments(prom, slo, period_s, "judged", judged, policy),
        rounds=rounds,
        buckets=_buckets(prom, slo, judged),
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
    events: list[float] = []
    for t, v in values.get("total", []):
        total = _number(v) or 0.0
        ratios.append(min(max(bad.get(float(t), 0.0) / total, 0.0), 1.0) if total > 0 else None)
        events.append(total * window_s)
    return Series(slug=f"{slo.service}/{slo.name}", t=times, error_ratio=ratios, events=events)


def _burning(ratio: float | None, events: float, budget: float, confidence: float) -> bool:
    """A rate window whose error ratio is significantly above the budget: one stray
    slow request among a few dozen is not a burn."""
    if ratio is None or events <= 0 or ratio <= budget:
        return False
    bad = round(ratio * events)
    return exceeds_ratio(bad, max(round(events), 1), budget, confidence).significant


def recovery(
    game_round: RoundRecord,
    window_end: float,
    timeline: Timeline | None,
    budgets: dict[str, float],
    window_s: int,
    confidence: float = 0.98,
) -> RecoveryResult:
    """For each SLO the fault hit (a rate window overlapping the fault burning it
    significantly): fault end -> the start of the first rate window, ending after the
    fault, that no longer burns it. The round recovers when every hit SLO does; the
    windows must end by ``window_end`` (the next fault), so no other fault is measured."""
    fault_start, fault_end = fault_window(game_round)
    base = RecoveryResult(
        available=False,
        max_recovery_s=game_round.max_recovery_seconds,
        window_s=window_s,
        watched_s=max(0.0, window_end - fault_end),
    )
    if timeline is None or not timeline.series:
        return base
    by_slo = []
    for series in timeline.series:
        budget = budgets[series.slug]
        events = series.events or [0.0] * len(series.t)
        points = list(zip(series.t, series.error_ratio, events, strict=False))
        hit = any(
            fault_start < t <= fault_end + window_s and _burning(ratio, n, budget, confidence)
            for t, ratio, n in points
        )
        if not hit:
            continue
        back = next(
            (
                t
                for t, ratio, n in points
                if fault_end + window_s <= t <= window_end
                and ratio is not None
                and not _burning(ratio, n, budget, confidence)
            ),
            None,
        )
        by_slo.append(
            SloRecovery(
                slug=series.slug,
                recovered=back is not None,
                recovery_s=None if back is None else max(0.0, back - window_s - fault_end),
            )
        )
    recovered = all(s.recovered for s in by_slo)
    slowest = max((s.recovery_s or 0.0 for s in by_slo), default=0.0)
    return base.model_copy(
        update={
            "available": True,
            "recovered": recovered,
            "recovery_s": slowest if recovered else None,
            "slos": [s.slug for s in by_slo],
            "by_slo": by_slo,
        }
    )


def recovery_ends(record: GameRecord) -> list[float]:
    """How long each round's recovery may be watched: until the next round's fault
    starts (or the game ends)."""
    ends = []
    for index in range(len(record.rounds)):
        following = record.rounds[index + 1] if index + 1 < len(record.rounds) else None
        ends.append(fault_window(following)[0] if following is not None else record.ended_at)
    return ends


def confirm(prom: _Prometheus, game_round: RoundRecord) -> FaultConfirmation:
    """Evaluate the experiment's evidence query over the fault window (plus a margin for
    the last scrapes): above 0 confirms the fault took effect."""
    declared = game_round.confirmation
    if declared is None:
        return FaultConfirmation(
            status="inconclusive", detail="the experiment declares no confirmation query"
        )
    if game_round.fault_started_at is None or game_round.fault_ended_at is None:
        return FaultConfirmation(
            status="not confirmed",
            description=declared.description,
            detail="no fault was injected (the round ended before its fault)",
        )
    at = game_round.fault_ended_at + CONFIRM_MARGIN_S
    window = math.ceil(at - game_round.fault_started_at) + 5
    query = declared.query.replace("{window}", f"{window}s")
    common = {"description": declared.description, "query": query}
    result = prom.ask(lambda s: s.instant(query, at))
    if result is None:
        return FaultConfirmation(
            status="inconclusive", detail="Prometheus could not answer", **common
        )
    values = [v for v in (_number(series["value"][1]) for series in result) if v is not None]
    if not values:
        return FaultConfirmation(
            status="inconclusive", detail="the query found no series in the fault window", **common
        )
    value = max(values)
    if value > 0:
        return FaultConfirmation(
            status="confirmed", value=value, detail=f"evidence {value:g} > 0", **common
        )
    return FaultConfirmation(
        status="not confirmed", value=value, detail="no evidence in the fault window", **common
    )


def _recovered_after(result: RecoveryResult, slug: str) -> float | None:
    """Seconds an SLO took to recover from a round: 0 when the fault did not hit it,
    None when unknown (it did not recover, or nothing was measured)."""
    if not result.available:
        return None
    for found in result.by_slo:
        if found.slug == slug:
            return found.recovery_s if found.recovered else None
    return 0.0


def allowed_pages(record: GameRecord, slos: list[SLO]) -> list[alerts.Allowance]:
    """Per round, the pages it may cause (a page a round really causes is not noise):
    its expected alerts, the burn alerts of the SLOs it declared in its impact, and any
    page of a service whose SLOs it declared (a symptom of the same hurt)."""
    by_slug = {f"{slo.service}/{slo.name}": alert_name(slo) for slo in slos}
    return [
        alerts.Allowance(
            names=set(r.expected_alerts) | {by_slug[s] for s in r.impact if s in by_slug},
            services={s.split("/", 1)[0] for s in r.impact},
        )
        for r in record.rounds
    ]


def measure(
    record: GameRecord, source: MetricSource | None, policy: Policy, notes: list[str]
) -> Report:
    """Everything the report says about the game, before it is judged."""
    prom = _Prometheus(source, notes)
    slos = load_specs(SPECS_DIR)
    known = {f"{slo.service}/{slo.name}" for slo in slos}
    for game_round in record.rounds:
        unknown = sorted(set(game_round.impact) - known)
        if unknown:
            notes.append(f"round {game_round.name!r} declares unknown SLOs: {', '.join(unknown)}")

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
            impact=list(r.impact),
            alerts=alerts.detect(r, window, notifications, spans),
            recovery=recovery(
                r, watch_until, timeline, budgets, settings.window_s, policy.evidence.confidence
            ),
            confirmation=confirm(prom, r),
        )
        for r, window, watch_until in zip(
            record.rounds, windows, recovery_ends(record), strict=True
        )
    ]
    recovered_after = {
        slug: [_recovered_after(r.recovery, slug) for r in rounds] for slug in budgets
    }
    slo_results = [_slo_result(prom, slo, record, policy, recovered_after) for slo in slos]
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
            unexpected_pages=alerts.unexpected_pages(
                record,
                notifications or [],
                allowed_pages(record, slos),
                not_before=record.started_at + RAMP_S + NOISE_GRACE_S,
            ),
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
