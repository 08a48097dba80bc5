"""The gate: Keptn-style score, key objectives, baseline regressions, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from reports import gate
from reports.model import Objective, Report
from reports.policy import PolicyError, load_policy
from reports.record import GameRecord
from reports.scoring import score_game
from reports.source import ReplaySource
from tests.reports.conftest import POLICY


@pytest.fixture
def report(recorded_game: tuple[GameRecord, ReplaySource]) -> Report:
    record, source = recorded_game
    return score_game(record, policy_path=POLICY, baseline=None, source=source)


@pytest.fixture
def clean(report: Report) -> Report:
    """The synthetic game with its one real problem fixed: the latency page notified."""
    fixed = report.model_copy(deep=True)
    detection = fixed.rounds[1].alerts[0]
    fixed.rounds[1].alerts[0] = detection.model_copy(
        update={"fired": True, "time_to_detect_s": 12.0, "cross_check": "agree"}
    )
    fixed.load = fixed.load.model_copy(update={"failures": 0})
    fixed.evaluation = gate.evaluate(fixed, load_policy(POLICY), None).evaluation
    return fixed


def objective(report: Report | gate.GateResult, objective_id: str) -> Objective:
    assert report.evaluation is not None
    return next(o for o in report.evaluation.objectives if o.id == objective_id)


def test_score_is_weights_of_passes_plus_half_of_warnings(report: Report) -> None:
    evaluation = report.evaluation
    assert evaluation is not None
    by_id = {o.id: o for o in evaluation.objectives}
    assert by_id["integrity"].status == "pass" and by_id["integrity"].key
    assert by_id["noise"].status == "warning" and by_id["noise"].score == by_id["noise"].weight / 2
    assert by_id["load"].status == "fail"  # 7.7% failed requests
    expected = (
        100
        * sum(o.score for o in evaluation.objectives)
        / sum(o.weight for o in evaluation.objectives)
    )
    assert evaluation.score == pytest.approx(expected, abs=0.05)


def test_a_missed_expected_alert_blocks_the_release(report: Report, clean: Report) -> None:
    missed = objective(report, "alert:product-latency:GatewayBrowseLatencyBudgetBurn")
    assert missed.status == "fail" and missed.key
    assert "firing in Prometheus, but no notification arrived" in missed.display
    assert report.evaluation is not None and report.evaluation.verdict == "fail"
    assert clean.evaluation is not None and clean.evaluation.verdict == "pass"


def test_every_objective_states_its_evidence(clean: Report) -> None:
    browse = objective(clean, "slo:gateway/browse-availability")
    assert browse.events == pytest.approx(2350) and browse.statistic
    assert "binomial test: 0 bad of 2350" in browse.statistic
    assert objective(clean, "fault:kill-product-service").status == "pass"
    assert objective(clean, "chaos:kill-product-service").status == "pass"
    recovery = objective(clean, "recovery:kill-product-service")
    assert recovery.status == "pass" and "gateway/browse-availability" in recovery.display


def test_a_failed_audit_fails_the_game_whatever_the_score(clean: Report) -> None:
    assert clean.integrity is not None
    clean.integrity = {
        **clean.integrity,
        "passed": False,
        "invariants": [{"name": "stock-never-negative", "passed": False, "offending": ["x"]}],
    }
    result = gate.evaluate(clean, load_policy(POLICY), None)
    assert result.verdict == "fail" and result.exit_code() == 1
    assert any(
        "integrity" in reason and "stock-never-negative" in reason
        for reason in result.evaluation.reasons
    )


def test_inherited_violations_are_shown_but_do_not_fail(clean: Report) -> None:
    assert clean.integrity is not None
    clean.integrity["invariants"][0]["inherited"] = ["old-order-1", "old-order-2"]
    result = gate.evaluate(clean, load_policy(POLICY), None)
    integrity = next(o for o in result.evaluation.objectives if o.id == "integrity")
    assert integrity.status == "pass" and "2 inherited" in integrity.display
    assert result.verdict == "pass"


def _judged(report: Report, slug: str, **update: object) -> None:
    slo = report.slo(slug)
    assert slo is not None
    slo.judged = slo.judged.model_copy(update=update)


def test_a_significant_slo_breach_fails_and_a_few_stray_errors_do_not(clean: Report) -> None:
    policy = load_policy(POLICY)
    # 2 of 2 350 browse requests failed: burn rate 0.85 - within the budget.
    _judged(clean, "gateway/browse-availability", bad_events=2.0, error_ratio=2 / 2350,
            burn_rate=0.85, sli=1 - 2 / 2350, significant=False)  # fmt: skip
    assert gate.evaluate(clean, policy, None).verdict == "pass"
    # 4 of 2 350: burn rate 1.7 without significance (p = 0.2): a warning, not a failure.
    _judged(clean, "gateway/browse-availability", bad_events=4.0, error_ratio=4 / 2350,
            burn_rate=1.7, significant=False)  # fmt: skip
    warned = gate.evaluate(clean, policy, None)
    slo = next(o for o in warned.evaluation.objectives if o.id == "slo:gateway/browse-availability")
    assert slo.status == "warning" and warned.exit_code() == 0
    # 47 of 2 350 (2 %): significant, burn rate 20: the release fails.
    _judged(clean, "gateway/browse-availability", bad_events=47.0, error_ratio=0.02,
            burn_rate=20.0, sli=0.98, significant=True)  # fmt: skip
    failed = gate.evaluate(clean, policy, None)
    assert failed.verdict == "fail"
    assert any(
        "slo:gateway/browse-availability failed" in reason for reason in failed.evaluation.reasons
    )


def test_too_few_events_make_a_key_slo_inconclusive(clean: Report) -> None:
    _judged(clean, "gateway/auth-latency", events=12.0)
    result = gate.evaluate(clean, load_policy(POLICY), None)
    auth = next(o for o in result.evaluation.objectives if o.id == "slo:gateway/auth-latency")
    assert auth.status == "inconclusive" and "12 events judged" in auth.display
    assert result.verdict == "inconclusive" and result.exit_code() == 1


def test_an_unconfirmed_fault_makes_the_game_inconclusive(clean: Report) -> None:
    clean.rounds[0].confirmation = clean.rounds[0].confirmation.model_copy(
        update={"status": "not confirmed", "value": 0.0, "detail": "no evidence"}
    )
    result = gate.evaluate(clean, load_policy(POLICY), None)
    assert result.verdict == "inconclusive" and result.exit_code() == 1
    assert any("fault:kill-product-service" in r for r in result.evaluation.reasons)


@pytest.mark.parametrize("status", ["interrupted", "aborted", "failed"])
def test_a_round_that_did_not_complete_never_passes(clean: Report, status: str) -> None:
    clean.rounds[1].chaos_status = status
    result = gate.evaluate(clean, load_policy(POLICY), None)
    assert result.verdict == "fail"
    chaos = next(o for o in result.evaluation.objectives if o.id == "chaos:product-latency")
    assert chaos.status == "fail" and f"experiment {status}" in chaos.display


def test_baseline_regression_is_a_statistical_test(clean: Report, tmp_path: Path) -> None:
    baseline = clean.model_copy(deep=True, update={"run_id": "older"})
    policy = load_policy(POLICY)
    same = gate.evaluate(clean, policy, baseline)
    assert not any(o.baseline and o.baseline.regression for o in same.evaluation.objectives)

    current = clean.model_copy(deep=True)
    # Errors: 0 of 2 350 before, 2 now: within the budget and not significant (Fisher).
    _judged(current, "gateway/browse-availability", bad_events=2.0, burn_rate=0.85)
    quiet = gate.evaluate(current, policy, baseline)
    browse = next(
        o for o in quiet.evaluation.objectives if o.id == "slo:gateway/browse-availability"
    )
    assert browse.baseline is not None and not browse.baseline.regression
    assert browse.baseline.statistic and "Fisher" in browse.baseline.statistic
    # Latency: every request one bucket slower than in the baseline.
    slow = current.slo("gateway/browse-latency")
    assert slow is not None and slow.buckets is not None
    slow.buckets.counts = [0.0, *slow.buckets.counts[:-1]]
    warned = gate.evaluate(current, policy, baseline)
    latency = next(o for o in warned.evaluation.objectives if o.id == "slo:gateway/browse-latency")
    assert latency.baseline is not None and latency.baseline.regression
    assert latency.baseline.statistic and "Mann-Whitney" in latency.baseline.statistic
    assert latency.status == "warning" and warned.exit_code() == 0
    strict_policy = tmp_path / "policy.yaml"
    strict_policy.write_text(
        POLICY.read_text().replace("on_regression: warning", "on_regression: fail")
    )
    failed = gate.evaluate(current, load_policy(strict_policy), baseline)
    assert failed.verdict == "fail"


def test_incomplete_game_fails(clean: Report) -> None:
    clean.complete = False
    result = gate.evaluate(clean, load_policy(POLICY), None)
    assert result.verdict == "fail" and "interrupted" in " ".join(result.evaluation.reasons)


def test_policy_errors_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\nscore: {pass: 150}\n")
    with pytest.raises(PolicyError, match=r"policy.yaml: field score.pass"):
        load_policy(bad)
    bad.write_text("version: 1\nobjectives: {slo: {wieght: 2}}\n")
    with pytest.raises(PolicyError, match=r"objectives.slo.wieght"):
        load_policy(bad)


def test_gate_command_exit_codes(
    clean: Report, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    clean.save(path)
    assert main(["gate", str(path)]) == 0
    assert "PASS" in capsys.readouterr().out
    clean.complete = False
    clean.save(path)
    assert main(["gate", str(tmp_path)]) == 1
    assert main(["gate", str(tmp_path / "missing.json")]) == 2
    path.write_text("{not json")
    assert main(["gate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "report.json: not JSON" in err and "Traceback" not in err
    path.write_text('{"schema_version": 2, "run_id": 3}')
    assert main(["gate", str(path)]) == 2
    assert "field" in capsys.readouterr().err


def test_a_recovery_cut_short_by_the_next_fault_is_inconclusive_not_failed(clean: Report) -> None:
    kill = clean.rounds[0]
    stuck = kill.recovery.model_copy(
        update={
            "recovered": False,
            "recovery_s": None,
            "by_slo": [s.model_copy(update={"recovered": False}) for s in kill.recovery.by_slo],
        }
    )
    kill.recovery = stuck.model_copy(update={"watched_s": stuck.max_recovery_s / 2})
    cut_short = gate.evaluate(clean, load_policy(POLICY), None)
    recovery = objective(cut_short, "recovery:kill-product-service")
    assert recovery.status == "inconclusive"
    assert "lengthen pause_between_rounds_s" in recovery.display
    assert cut_short.verdict == "inconclusive" and cut_short.exit_code() == 1

    kill.recovery = stuck.model_copy(update={"watched_s": stuck.max_recovery_s + 30})
    watched_long_enough = gate.evaluate(clean, load_policy(POLICY), None)
    recovery = objective(watched_long_enough, "recovery:kill-product-service")
    assert recovery.status == "fail" and "not recovered" in recovery.display
    assert watched_long_enough.verdict == "fail"
