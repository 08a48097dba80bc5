"""The main job end to end: the smoke game day on its own platform, scored and gated.

A clean build must pass; the same game with a latency regression planted in the
product service (above the browse-latency SLO for the whole game) must fail the gate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GAME_TIMEOUT_S = 12 * 60
# Each test plays a whole game (about 3.5 minutes with the platform's start and stop).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(GAME_TIMEOUT_S + 60)]


def play(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    runs = tmp_path / "runs"
    result = subprocess.run(
        [sys.executable, "-m", "harness", "gameday", "--profile", "smoke", "--free-ports",
         "--state-dir", str(tmp_path / "state"), "--reports-dir", str(runs), "--baseline", "none",
         *extra],
        capture_output=True, text=True, check=False, timeout=GAME_TIMEOUT_S,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    reports = sorted(runs.glob("*/report.json"))
    assert len(reports) == 1, result.stderr[-3000:]
    return result, json.loads(reports[0].read_text())


def gate(report: Path) -> int:
    return subprocess.run(
        [sys.executable, "-m", "harness", "gate", str(report)],
        capture_output=True, text=True, check=False, timeout=60,
    ).returncode  # fmt: skip


def test_clean_smoke_game_passes_the_gate(tmp_path: Path) -> None:
    result, report = play(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert report["evaluation"]["verdict"] in ("pass", "warning"), report["evaluation"]["reasons"]
    assert report["complete"] is True
    assert len(report["rounds"]) == 3
    assert report["integrity"]["passed"] is True
    run_dir = next((tmp_path / "runs").glob("*/report.json")).parent
    for name in ("junit.xml", "summary.md", "report.html", "game.json"):
        assert (run_dir / name).stat().st_size > 0, name
    assert gate(run_dir / "report.json") == 0
    index = json.loads((tmp_path / "runs" / "index.json").read_text())
    assert [r["run_id"] for r in index["runs"]] == [report["run_id"]]
    # The platform it started is gone again.
    assert not (tmp_path / "state" / "platform.json").exists()


def test_seeded_latency_regression_fails_the_gate(tmp_path: Path) -> None:
    result, report = play(tmp_path, "--seed-fault", "product-service:/products*:600")
    assert result.returncode == 1, result.stderr[-3000:]
    assert report["evaluation"]["verdict"] == "fail"
    failing = {o["id"] for o in report["evaluation"]["objectives"] if o["status"] == "fail"}
    assert any("browse-latency" in name for name in failing), failing
    run_dir = next((tmp_path / "runs").glob("*/report.json")).parent
    assert gate(run_dir / "report.json") == 1
