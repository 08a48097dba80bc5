"""Judge a report against the policy (and a baseline report): objectives, score, verdict.

Verdicts: ``pass``; ``warning`` (the score is between the thresholds, or something burned
without significance); ``fail`` (a key objective failed, the score is below the warning
threshold, or the game was interrupted); ``inconclusive`` (a key objective could not be
judged on enough evidence, or a round's fault was not confirmed: nothing shows the
release is safe). Exit codes of the gate: 0 pass (and warning, unless strict), 1 fail or
inconclusive, 2 usage or input error (raised by the command line, not here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports.model import (
    BaselineComparison,
    Evaluation,
    Objective,
    Report,
    RoundResult,
    SliResult,
    SloResult,
    Status,
    Verdict,
)
from reports.policy import FailureRatioObjectives, Policy, SloSettings
from reports.statistics import error_ratio_regression, latency_regression

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_SCORE_SHARE: dict[Status, float] = {
    "pass": 1.0,
    "warning": 0.5,
    "fail": 0.0,
    "inconclusive": 0.0,
    "unavailable": 0.0,
}
_SEVERITY: dict[Verdict, int] = {"pass": 0, "warning": 1, "inconclusive": 2, "fail": 3}
GOOD_CHAOS_STATUS = "completed"


@dataclass(frozen=True)
class GateResult:
    evaluation: Evaluation

    @property
    def verdict(self) -> Verdict:
        return self.evaluation.verdict

    def exit_code(self, strict: bool = False) -> int:
        if self.verdict in ("fail", "inconclusive") or (strict and self.verdict == "warning"):
            return EXIT_FAIL
        return EXIT_PASS


def _grade(value: float, pass_at: float, warn_at: float) -> Status:
    """Lower is better: pass up to `pass_at`, warning up to `warn_at`."""
    if value <= pass_at:
        return "pass"
    return "warning" if value <= warn_at else "fail"


def _objective(status: Status, weight: float, key: bool, **fields: Any) -> Objective:
    return Objective.model_validate(
        {
            **fields,
            "status": status,
            "weight": weight,
            "key": key,
            "score": weight * _SCORE_SHARE[status],
        }
    )


# --------------------------------------------------------------------------- integrity


def _integrity(report: Report, policy: Policy) -> Objective:
    settings = policy.objectives.integrity
    audit = report.integrity
    common = {
        "id": "integrity",
        "kind": "integrity",
        "description": "The order saga's and the money's integrity invariants hold for this "
        "game's orders (harness audit)",
        "criterion": "every invariant passes; violations inherited from before the game are "
        "reported apart",
    }
    if audit is None:
        return _objective(
            "unavailable", settings.weight, settings.key, display="audit did not run", **common
        )
    invariants = audit.get("invariants", [])
    failed = [str(i.get("name")) for i in invariants if not i.get("passed")]
    inherited = sum(len(i.get("inherited") or []) for i in invariants)
    passed = bool(audit.get("passed")) and not failed
    if passed:
        display = f"{len(invariants)} invariants hold over {audit.get('orders_checked', 0)} orders"
    elif failed:
        display = "failed: " + ", ".join(
            f"{i.get('name')} ({len(i.get('offending') or [])} offending)"
            for i in invariants
            if not i.get("passed")
        )
    else:
        display = f"failed: {audit.get('error', 'audit error')}"
    if inherited:
        display += f"; {inherited} inherited from before the game (not judged)"
    return _objective(
        "pass" if passed else "fail",
        settings.weight,
        settings.key,
        value=float(passed),
        display=display,
        **common,
    )


# --------------------------------------------------------------------------- SLOs


def _sli_text(sli: SliResult) -> str:
    return (
        f"SLI {100 * (sli.sli or 0):.3f}%, burn rate {sli.burn_rate or 0:.2f} "
        f"over {sli.events or 0:.0f} events"
    )


def _burn_status(sli: SliResult, settings: SloSettings) -> Status:
    """pass within budget; fail when the burn is significant and beyond the warning
    rate; warning otherwise (a burn the evidence does not prove, or a small one)."""
    assert sli.burn_rate is not None
    if sli.burn_rate <= settings.pass_burn_rate:
        return "pass"
    if sli.significant and sli.burn_rate > settings.warning_burn_rate:
        return "fail"
    return "warning"


def _outside_impact(result: SloResult, settings: SloSettings) -> list[SliResult]:
    """Rounds that burned this SLO although they did not declare it in their impact."""
    return [
        r
        for r in result.rounds
        if r.in_impact is False
        and r.available
        and r.burn_rate is not None
        and _burn_status(r, settings) == "fail"
    ]


def _baseline(
    result: SloResult, previous: SloResult, baseline: Report, policy: Policy
) -> BaselineComparison | None:
    confidence = policy.evidence.confidence
    current, before = result.judged, previous.judged
    if result.kind == "latency" and result.buckets and previous.buckets:
        if result.buckets.le != previous.buckets.le:
            return None
        finding = latency_regression(result.buckets.counts, previous.buckets.counts, confidence)
        regression = finding.material(policy.baseline.min_effect_rank)
    elif current.events and before.events:
        finding = error_ratio_regression(
            round(current.bad_events or 0), round(current.events),
            round(before.bad_events or 0), round(before.events),
            result.error_budget, confidence,
        )  # fmt: skip
        regression = finding.material(policy.baseline.min_effect_budget)
    else:
        return None
    return BaselineComparison(
        run_id=baseline.run_id,
        value=before.burn_rate,
        regression=regression,
        statistic=finding.statistic,
    )


def _slo(result: SloResult, policy: Policy, baseline: Report | None) -> Objective:
    settings = policy.objectives.slo.for_slo(result.slug, policy.evidence)
    judged = result.judged
    common = {
        "id": f"slo:{result.slug}",
        "kind": "slo",
        "description": f"{result.description} ({result.objective:g}% over the game, outside "
        "the fault windows of rounds that declared it)",
        "criterion": f"burn rate <= {settings.pass_burn_rate:g}; a burn above "
        f"{settings.warning_burn_rate:g} significant at {policy.evidence.confidence:.0%} fails; "
        f"at least {settings.min_events} events",
    }
    weight, key = settings.weight, settings.key
    if not judged.available:
        return _objective("unavailable", weight, key, display="unavailable", **common)
    events = judged.events or 0.0
    if events < settings.min_events or judged.burn_rate is None:
        return _objective(
            "inconclusive", weight, key, events=events,
            display=f"{events:.0f} events judged: fewer than the {settings.min_events} needed",
            **common,
        )  # fmt: skip
    status = _burn_status(judged, settings)
    display = _sli_text(judged)
    statistic = judged.statistic
    blamed = _outside_impact(result, settings)
    if blamed:
        status = "fail"
        display += "; burned outside the declared impact of " + ", ".join(
            f"round '{r.label}' ({_sli_text(r)})" for r in blamed
        )
        statistic = "; ".join(f"{r.label}: {r.statistic}" for r in blamed)
    comparison = None
    previous = baseline.slo(result.slug) if baseline else None
    if baseline is not None and previous is not None:
        comparison = _baseline(result, previous, baseline, policy)
        if comparison is not None and comparison.regression:
            display += f" (regression against baseline {baseline.run_id}: {comparison.statistic})"
            if policy.baseline.on_regression == "fail":
                status = "fail"
            elif status == "pass":
                status = "warning"
    return _objective(
        status, weight, key, value=judged.burn_rate, events=events, display=display,
        statistic=statistic, baseline=comparison, **common,
    )  # fmt: skip


# --------------------------------------------------------------------------- rounds


def _chaos(game_round: RoundResult, policy: Policy) -> Objective:
    settings = policy.objectives.chaos
    problems = []
    if game_round.chaos_status != GOOD_CHAOS_STATUS:
        problems.append(f"experiment {game_round.chaos_status}")
    if game_round.deviated:
        problems.append("steady state not met after the fault")
    if not game_round.rollbacks_applied:
        problems.append("rollbacks not applied")
    return _objective(
        "fail" if problems else "pass",
        settings.weight,
        settings.key,
        id=f"chaos:{game_round.name}",
        kind="chaos",
        round=game_round.name,
        description=f"The experiment of {game_round.name} ran to its end and rolled back",
        criterion="status completed, steady state met before and after, rollbacks applied",
        display="; ".join(problems) or "completed, rolled back",
    )


def _fault(game_round: RoundResult, policy: Policy) -> Objective:
    settings = policy.objectives.fault_confirmation
    found = game_round.confirmation
    status: Status = {"confirmed": "pass", "not confirmed": "inconclusive"}.get(
        found.status, "inconclusive"
    )  # type: ignore[assignment]
    return _objective(
        status,
        settings.weight,
        settings.key,
        id=f"fault:{game_round.name}",
        kind="fault",
        round=game_round.name,
        value=found.value,
        description=f"The fault of {game_round.name} took effect"
        + (f" ({found.description})" if found.description else ""),
        criterion="confirmed by the experiment's evidence query; otherwise the game is "
        "inconclusive",
        display=f"{found.status}: {found.detail}",
        statistic=found.query,
    )


def _alerts(game_round: RoundResult, report: Report, policy: Policy) -> list[Objective]:
    settings = policy.objectives.alert_detection
    objectives = []
    for detection in game_round.alerts:
        common = {
            "id": f"alert:{game_round.name}:{detection.alertname}",
            "kind": "alert",
            "round": game_round.name,
            "description": f"{detection.alertname} notifies during {game_round.name}",
            "criterion": f"notified within {settings.max_time_to_detect_s:g} s of the fault "
            f"(warning {settings.warning_time_to_detect_s:g} s)",
        }
        status: Status
        if detection.time_to_detect_s is not None:
            status = _grade(
                detection.time_to_detect_s,
                settings.max_time_to_detect_s,
                settings.warning_time_to_detect_s,
            )
            display = f"detected in {detection.time_to_detect_s:.1f} s"
        elif not report.noise.available:
            status, display = "unavailable", "no alert log"
        else:
            status = "fail"
            display = "never notified"
            if detection.cross_check == "prometheus-only":
                display += " (firing in Prometheus, but no notification arrived)"
        objectives.append(
            _objective(
                status,
                settings.weight,
                settings.key,
                value=detection.time_to_detect_s,
                display=display,
                **common,
            )
        )
    return objectives


def _recovery(game_round: RoundResult, policy: Policy) -> Objective:
    settings = policy.objectives.recovery
    rec = game_round.recovery
    common = {
        "id": f"recovery:{game_round.name}",
        "kind": "recovery",
        "round": game_round.name,
        "description": f"Every SLO the fault of {game_round.name} hit is back within its "
        "objective in time",
        "criterion": f"recovered within {rec.max_recovery_s:g} s "
        f"(warning {rec.max_recovery_s * settings.warning_factor:g} s), rollbacks applied",
    }
    if not game_round.rollbacks_applied:
        return _objective(
            "fail", settings.weight, settings.key, display="rollbacks not applied", **common
        )
    if not rec.available:
        return _objective(
            "unavailable", settings.weight, settings.key, display="unavailable", **common
        )
    if not rec.slos:
        return _objective(
            "pass", settings.weight, settings.key, value=0.0,
            display="no SLO went above its budget", **common,
        )  # fmt: skip
    if not rec.recovered or rec.recovery_s is None:
        stuck = [s.slug for s in rec.by_slo if not s.recovered]
        if rec.watched_s is not None and rec.watched_s < rec.max_recovery_s:
            # The game moved on before the allowance ran out: the round was not given the
            # time it may take, so its recovery is unknown, not failed.
            return _objective(
                "inconclusive",
                settings.weight,
                settings.key,
                display=f"not back within the {rec.watched_s:.0f} s before the next fault "
                f"({', '.join(stuck)}), short of its {rec.max_recovery_s:g} s allowance: "
                "lengthen pause_between_rounds_s",
                **common,
            )
        return _objective(
            "fail",
            settings.weight,
            settings.key,
            display=f"not recovered before the game moved on: {', '.join(stuck)}",
            **common,
        )
    status = _grade(
        rec.recovery_s, rec.max_recovery_s, rec.max_recovery_s * settings.warning_factor
    )
    per_slo = ", ".join(f"{s.slug} {s.recovery_s or 0:.0f} s" for s in rec.by_slo)
    return _objective(
        status,
        settings.weight,
        settings.key,
        value=rec.recovery_s,
        display=f"recovered in {rec.recovery_s:.0f} s ({per_slo})",
        **common,
    )


# --------------------------------------------------------------------------- the rest


def _noise(report: Report, policy: Policy) -> Objective:
    settings = policy.objectives.noise
    common = {
        "id": "noise",
        "kind": "noise",
        "description": "No page that no round caused",
        "criterion": f"at most {settings.max_unexpected_pages} unexpected pages "
        f"(warning {settings.warning_unexpected_pages})",
    }
    if not report.noise.available:
        return _objective(
            "unavailable", settings.weight, settings.key, display="no alert log", **common
        )
    pages = report.noise.unexpected_pages
    status = _grade(len(pages), settings.max_unexpected_pages, settings.warning_unexpected_pages)
    names = ", ".join(sorted({p.alertname for p in pages}))
    display = f"{len(pages)} unexpected pages" + (f": {names}" if names else "")
    return _objective(
        status, settings.weight, settings.key, value=len(pages), display=display, **common
    )


def _failure_ratio(
    kind: str, failures: int, total: int, settings: FailureRatioObjectives
) -> Objective | None:
    if total == 0:
        return None  # that exercise did not run in this game
    ratio = failures / total
    return _objective(
        _grade(ratio, settings.max_failure_ratio, settings.warning_failure_ratio),
        settings.weight,
        settings.key,
        id=kind,
        kind=kind,
        description=f"{'Load requests' if kind == 'load' else 'Probe journeys'} succeed",
        value=ratio,
        events=total,
        display=f"{failures} of {total} failed ({ratio:.2%})",
        criterion=f"failure ratio <= {settings.max_failure_ratio:.1%} "
        f"(warning {settings.warning_failure_ratio:.1%})",
    )


def objectives(report: Report, policy: Policy, baseline: Report | None) -> list[Objective]:
    found = [_integrity(report, policy)]
    found += [_slo(result, policy, baseline) for result in report.slos]
    for game_round in report.rounds:
        found.append(_chaos(game_round, policy))
        found.append(_fault(game_round, policy))
        found += _alerts(game_round, report, policy)
        found.append(_recovery(game_round, policy))
    found.append(_noise(report, policy))
    for extra in (
        _failure_ratio("load", report.load.failures, report.load.requests, policy.objectives.load),
        _failure_ratio(
            "probes", report.probes.failures, report.probes.runs, policy.objectives.probes
        ),
    ):
        if extra is not None:
            found.append(extra)
    return found


def evaluate(report: Report, policy: Policy, baseline: Report | None) -> GateResult:
    judged = objectives(report, policy, baseline)
    weights = sum(o.weight for o in judged)
    score = round(100 * sum(o.score for o in judged) / weights, 1) if weights else 0.0
    thresholds = policy.score
    reasons: list[str] = []
    verdict: Verdict = "pass"

    def lower(to: Verdict, reason: str) -> None:
        nonlocal verdict
        reasons.append(reason)
        if _SEVERITY[to] > _SEVERITY[verdict]:
            verdict = to

    explained: set[str] = set()
    for objective in judged:
        if objective.key and objective.status == "fail":
            lower("fail", f"key objective {objective.id} failed: {objective.display}")
        elif objective.key and objective.status in ("inconclusive", "unavailable"):
            lower(
                "inconclusive",
                f"key objective {objective.id} could not be judged: {objective.display}",
            )
        elif objective.kind == "fault" and objective.status != "pass":
            lower("inconclusive", f"{objective.id}: fault {objective.display}")
        else:
            continue
        explained.add(objective.id)
    if score < thresholds.warning:
        lower("fail", f"score {score:g} is below the warning threshold {thresholds.warning:g}")
    elif score < thresholds.pass_:
        lower("warning", f"score {score:g} is below the pass threshold {thresholds.pass_:g}")
    if not report.complete:
        lower(policy.incomplete_game, "the game was interrupted: the report is incomplete")
    for objective in judged:
        if objective.status != "pass" and objective.id not in explained:
            reasons.append(f"{objective.id}: {objective.status}: {objective.display}")
    return GateResult(
        Evaluation(
            verdict=verdict,
            score=score,
            pass_threshold=thresholds.pass_,
            warning_threshold=thresholds.warning,
            reasons=reasons,
            objectives=judged,
            policy=policy.source,
            baseline_run_id=baseline.run_id if baseline else None,
        )
    )
