"""The run index, baseline look-up and the `harness score` / `harness report` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from reports import history
from reports.model import Report
from reports.record import GameRecord
from reports.scoring import score_game
from reports.source import ReplaySource
from tests.reports.conftest import POLICY, BackfilledPrometheus


def _indexed(report: Report, runs: Path, run_id: str, started: float, verdict: str) -> None:
    copy = report.model_copy(deep=True, update={"run_id": run_id, "started_at": started})
    assert copy.evaluation is not None
    copy.evaluation.verdict = verdict  # type: ignore[assignment]
    (runs / run_id).mkdir(parents=True)
    copy.save(runs / run_id / "report.json")
    history.add_run(copy, runs / run_id, runs)


def test_index_lists_newest_first_and_finds_the_last_pass(
    recorded_game: tuple[GameRecord, ReplaySource], tmp_path: Path
) -> None:
    record, source = recorded_game
    report = score_game(record, policy_path=POLICY, baseline=None, source=source)
    runs = tmp_path / "runs"
    _indexed(report, runs, "a-pass", 100, "pass")
    _indexed(report, runs, "b-pass", 200, "pass")
    _indexed(report, runs, "c-fail", 300, "fail")
    assert [e.run_id for e in history.list_runs(runs)] == ["c-fail", "b-pass", "a-pass"]
    baseline = history.find_baseline("last-pass", "smoke", runs)
    assert baseline is not None and baseline.run_id == "b-pass"
    assert history.find_baseline("last-pass", "smoke", runs, exclude="b-pass").run_id == "a-pass"  # type: ignore[union-attr]
    assert history.find_baseline("last-pass", "standard", runs) is None
    assert json.loads((runs / "index.json").read_text())["runs"][0]["path"] == "a-pass"


@pytest.mark.slow  # a backfilled Prometheus
def test_score_then_list_show_and_gate(
    backfilled_prometheus: BackfilledPrometheus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    run_dir = runs / "synthetic-smoke"
    run_dir.mkdir(parents=True)
    backfilled_prometheus.record().save(run_dir / "game.json")

    assert main(["score", str(run_dir / "game.json")]) == 0  # scoring; the gate judges
    assert {p.name for p in run_dir.iterdir()} >= {
        "report.json",
        "junit.xml",
        "summary.md",
        "report.html",
    }
    # The synthetic game's latency page never reached the receiver: a key failure.
    assert "synthetic-smoke: FAIL" in capsys.readouterr().out

    assert main(["report", "--runs-dir", str(runs), "list"]) == 0
    listing = capsys.readouterr().out
    assert (
        "synthetic-smoke" in listing
        and "smoke" in listing
        and "fail" in listing
        and "abc1234" in listing
    )

    assert main(["report", "--runs-dir", str(runs), "show", "synthetic-smoke"]) == 0
    assert "## Game day `smoke`" in capsys.readouterr().out
    assert main(["report", "--runs-dir", str(runs), "show", "nope"]) == 2

    # Gated again: no passing run to compare with, and the verdict stands.
    assert main(["gate", str(run_dir), "--baseline", "last-pass", "--runs-dir", str(runs)]) == 1


def test_score_rejects_a_broken_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    game = tmp_path / "game.json"
    game.write_text('{"run_id": "x"}')
    assert main(["score", str(game)]) == 2
    err = capsys.readouterr().err
    assert "game.json: not a game record" in err and "Traceback" not in err
