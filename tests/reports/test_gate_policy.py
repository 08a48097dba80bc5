"""The gate: Keptn-style score, key objectives, baseline regressions, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from reports import gate
from reports.model import Report
from reports.policy import PolicyError, load_policy
from reports.record import GameRecord
from reports.scoring import score_game
from reports.source import ReplaySource
from tests.reports.conftest import POLICY


@pytest.fixture
def report(recorded_game: tuple[GameRecord, ReplaySource]) -> Report:
    record, source = recorded_game
    return score_game(record, policy_path=POLICY, baseline=None, source=source)


def test_score_is_weights_of_passes_plus_half_of_warnings(report: Report) -> None:
    evaluation = report.evaluation
    assert evaluation is not None
    by_id = {o.id: o for o in evaluation.objectives}
    assert by_id["integrity"].status == "pass" and by_id["integrity"].key
    assert by_id["noise"].status == "warning" and by_id["noise"].score == by_id["noise"].weight / 2
    assert by_id["load"].status == "fail"  # 7.7% failed requests
    assert by_id["alert:product-latency:GatewayBrowseLatencyBudgetBurn"].status == "fail"
    expected = (
        100
        * sum(o.score for o in evaluation.objectives)
        / sum(o.weight for o in evaluation.objectives)
    )
    assert evaluation.score == pytest.approx(expected, abs=0.05)
    assert evaluation.verdict == "pass"  # above 90 and no key objective failed


def test_a_failed_audit_fails_the_game_whatever_the_score(report: Report) -> None:
    assert report.integrity is not None
    report.integrity = {
        **report.integrity,
        "passed": False,
        "invariants": [{"name": "stock-never-negative", "passed": False}],
    }
    result = gate.evaluate(report, load_policy(POLICY), None)
    assert result.verdict == "fail" and result.exit_code() == 1
    assert any(
        "integrity" in reason and "stock-never-negative" in reason
        for reason in result.evaluation.reasons
    )


def test_slo_breach_outside_faults_fails(report: Report) -> None:
    browse = report.slo("gateway/browse-latency")
    assert browse is not None
    browse.steady = browse.steady.model_copy(
        update={"burn_rate": 50.0, "sli": 0.5, "error_ratio": 0.5}
    )
    result = gate.evaluate(report, load_policy(POLICY), None)
    assert result.verdict == "fail"
    assert any(
        "slo:gateway/browse-latency failed" in reason for reason in result.evaluation.reasons
    )


def test_baseline_regression_warns_or_fails(report: Report, tmp_path: Path) -> None:
    baseline = report.model_copy(deep=True, update={"run_id": "older"})
    current = report.model_copy(deep=True)
    slo = current.slo("gateway/browse-latency")
    assert slo is not None
    slo.steady = slo.steady.model_copy(update={"burn_rate": 0.5})  # baseline 0, floor 0.1
    policy = load_policy(POLICY)
    warned = gate.evaluate(current, policy, baseline)
    objective = next(
        o for o in warned.evaluation.objectives if o.id == "slo:gateway/browse-latency"
    )
    assert objective.status == "warning" and objective.baseline and objective.baseline.regression
    assert warned.exit_code() == 0 and warned.exit_code(strict=True) == (
        1 if warned.verdict != "pass" else 0
    )
    strict_policy = tmp_path / "policy.yaml"
    strict_policy.write_text(
        POLICY.read_text().replace("on_regression: warning", "on_regression: fail")
    )
    failed = gate.evaluate(current, load_policy(strict_policy), baseline)
    assert failed.verdict == "fail"
    within = gate.evaluate(report, policy, baseline)  # same numbers: no regression
    assert not any(o.baseline and o.baseline.regression for o in within.evaluation.objectives)


def test_incomplete_game_fails(report: Report) -> None:
    report.complete = False
    result = gate.evaluate(report, load_policy(POLICY), None)
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
    report: Report, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.json"
    report.save(path)
    assert main(["gate", str(path)]) == 0
    assert "PASS" in capsys.readouterr().out
    report.complete = False
    report.save(path)
    assert main(["gate", str(tmp_path)]) == 1
    assert main(["gate", str(tmp_path / "missing.json")]) == 2
    path.write_text("{not json")
    assert main(["gate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "report.json: not JSON" in err and "Traceback" not in err
    path.write_text('{"schema_version": 1, "run_id": 3}')
    assert main(["gate", str(path)]) == 2
    assert "field" in capsys.readouterr().err
