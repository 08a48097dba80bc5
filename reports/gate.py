"""Judge a report against the policy (and a baseline report): objectives, score, verdict.

Exit codes of the gate: 0 pass (and warning, unless strict), 1 fail, 2 usage or input
error (raised by the command line, not here).
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.model import (
    BaselineComparison,
    Evaluation,
    Objective,
    Report,
    RoundResult,
    SloResult,
    Status,
    Verdict,
)
from reports.policy import FailureRatioObjectives, Policy

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_SCORE_SHARE: dict[Status, float] = {"pass": 1.0, "warning": 0.5, "fail": 0.0, "unavailable": 0.0}


@dataclass(frozen=True)
class GateResult:
    evaluation: Evaluation

    @property
    def verdict(self) -> Verdict:
        return self.evaluation.verdict

    def exit_code(self, strict: bool = False) -> int:
        if self.verdict == "fail" or (strict and self.verdict == "warning"):
            return EXIT_FAIL
        return EXIT_PASS


def _grade(value: float, pass_at: float, warn_at: float) -> Status:
    """Lower is better: pass up to `pass_at`, warning up to `warn_at`."""
    if value <= pass_at:
        return "pass"
    return "warning" if value <= warn_at else "fail"


def _objective(status: Status, weight: float, key: bool, **fields: object) -> Objective:
    return Objective.model_validate(
        {
            **fields,
            "status": status,
            "weight": weight,
            "key": key,
            "score": weight * _SCORE_SHARE[status],
        }
    )


def _integrity(report: Report, policy: Policy) -> Objective:
    settings = policy.objectives.integrity
    audit = report.integrity
    common = {
        "id": "integrity",
        "kind": "integrity",
        "description": "The order saga's integrity invariants hold after the game (harness audit)",
        "criterion": "every invariant passes",
    }
    if audit is None:
        return _objective(
            "unavailable", settings.weight, settings.key, display="audit did not run", **common
        )
    failed = [str(i.get("name")) for i in audit.get("invariants", []) if not i.get("passed")]
    passed = bool(audit.get("passed")) and not failed
    if passed:
        invariants, orders = len(audit.get("invariants", [])), audit.get("orders_checked", 0)
        display = f"{invariants} invariants hold over {orders} orders"
    elif failed:
        display = "failed: " + ", ".join(failed)
    else:
        display = f"failed: {audit.get('error', 'audit error')}"
    return _objective(
        "pass" if passed else "fail",
        settings.weight,
        settings.key,
        value=float(passed),
        display=display,
        **common,
    )


def _slo(result: SloResult, policy: Policy, baseline: Report | None) -> Objective:
    settings = policy.objectives.slo.for_slo(result.slug)
    pass_at, warn_at = settings.pass_burn_rate or 1.0, settings.warning_burn_rate or 2.0
    steady = result.steady
    common = {
        "id": f"slo:{result.slug}",
        "kind": "slo",
        "description": f"{result.description} ({result.objective:g}% outside fault windows)",
        "criterion": f"steady burn rate <= {pass_at:g} (warning <= {warn_at:g})",
    }
    weight, key = settings.weight or 0.0, bool(settings.key)
    if not steady.available or steady.burn_rate is None:
        display = "no traffic" if steady.available else "unavailable"
        return _objective("unavailable", weight, key, display=display, **common)
    status = _grade(steady.burn_rate, pass_at, warn_at)
    display = f"SLI {100 * (steady.sli or 0):.3f}%, burn rate {steady.burn_rate:.2f}"
    comparison = None
    previous = baseline.slo(result.slug) if baseline else None
    if baseline is not None and previous is not None and previous.steady.burn_rate is not None:
        tolerance = settings.regression_tolerance
        if tolerance is None:
            tolerance = policy.baseline.tolerance
        reference = max(previous.steady.burn_rate, policy.baseline.min_burn_rate)
        regression = steady.burn_rate > reference * (1 + tolerance)
        comparison = BaselineComparison(
            run_id=baseline.run_id, value=previous.steady.burn_rate, regression=regression
        )
        if regression:
            display += (
                f" (baseline {previous.steady.burn_rate:.2f}: regression beyond {tolerance:.0%})"
            )
            if policy.baseline.on_regression == "fail":
                status = "fail"
            elif status == "pass":
                status = "warning"
    return _objective(
        status, weight, key, value=steady.burn_rate, display=display, baseline=comparison, **common
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
        "description": f"The gateway is back within objective after {game_round.name}",
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
    if not rec.recovered or rec.recovery_s is None:
        return _objective(
            "fail",
            settings.weight,
            settings.key,
            display="did not recover before the game moved on",
            **common,
        )
    status = _grade(
        rec.recovery_s, rec.max_recovery_s, rec.max_recovery_s * settings.warning_factor
    )
    return _objective(
        status,
        settings.weight,
        settings.key,
        value=rec.recovery_s,
        display=f"recovered in {rec.recovery_s:.0f} s",
        **common,
    )


def _noise(report: Report, policy: Policy) -> Objective:
    settings = policy.objectives.noise
    common = {
        "id": "noise",
        "kind": "noise",
        "description": "No page that no round expected",
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
        display=f"{failures} of {total} failed ({ratio:.2%})",
        criterion=f"failure ratio <= {settings.max_failure_ratio:.1%} "
        f"(warning {settings.warning_failure_ratio:.1%})",
    )


def objectives(report: Report, policy: Policy, baseline: Report | None) -> list[Objective]:
    found = [_integrity(report, policy)]
    found += [_slo(result, policy, baseline) for result in report.slos]
    for game_round in report.rounds:
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
        if to == "fail" or verdict == "pass":
            verdict = to

    for objective in judged:
        if objective.key and objective.status == "fail":
            lower("fail", f"key objective {objective.id} failed: {objective.display}")
        elif objective.key and objective.status == "unavailable":
            lower(
                "warning",
                f"key objective {objective.id} could not be measured: {objective.display}",
            )
    if score < thresholds.warning:
        lower("fail", f"score {score:g} is below the warning threshold {thresholds.warning:g}")
    elif score < thresholds.pass_:
        lower("warning", f"score {score:g} is below the pass threshold {thresholds.pass_:g}")
    if not report.complete:
        lower(policy.incomplete_game, "the game was interrupted: the report is incomplete")
    for objective in judged:
        if objective.status != "pass" and not (
            objective.key and objective.status in ("fail", "unavailable")
        ):
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
