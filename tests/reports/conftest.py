"""Fixtures of the report tests: the synthetic game (tests/reports/synthetic.py) in a real
Prometheus (backfilled with promtool, so no waiting for scrapes), and the same game's
recorded Prometheus answers (tests/reports/data/) for the fast scorer tests."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reports.record import GameRecord
from reports.source import ReplaySource
from tests.reports import synthetic
from tests.waiting import answers, start_on_free_port

DATA = Path(__file__).parent / "data"
POLICY = Path(__file__).resolve().parents[2] / "slo" / "policy.yaml"


@dataclass
class BackfilledPrometheus:
    url: str
    t0: int
    alerts_log: Path

    def record(self) -> GameRecord:
        return synthetic.game_record(self.t0, self.alerts_log, self.url)


@pytest.fixture(scope="session")
def backfilled_prometheus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BackfilledPrometheus]:
    """A real Prometheus whose storage holds the synthetic game, 20 minutes ago."""
    for tool in ("prometheus", "promtool"):
        assert shutil.which(tool), f"{tool} is required (Debian package prometheus)"
    root = tmp_path_factory.mktemp("prometheus")
    t0 = int(time.time()) // synthetic.STEP_S * synthetic.STEP_S - 1200
    (root / "game.om").write_text(synthetic.openmetrics(t0))
    subprocess.run(
        [
            "promtool",
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(root / "game.om"),
            str(root / "tsdb"),
        ],
        check=True,
        capture_output=True,
    )
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    log_path = root / "prometheus.log"
    log = log_path.open("wb")

    def spawn(port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "prometheus",
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    process, port = start_on_free_port(
        spawn, lambda port: answers(f"http://127.0.0.1:{port}/-/ready"), log_path,
        what="backfilled Prometheus",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        synthetic.write_alert_log(t0, root / "alerts.jsonl")
        yield BackfilledPrometheus(url=url, t0=t0, alerts_log=root / "alerts.jsonl")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def recorded_game(tmp_path: Path) -> tuple[GameRecord, ReplaySource]:
    """The synthetic game and Prometheus' answers about it, recorded from a real
    Prometheus by tests/reports/test_report_prometheus.py (UPDATE_FIXTURES=1)."""
    record = GameRecord.load_file(DATA / "game.json")
    log = tmp_path / "alerts.jsonl"
    shutil.copy(DATA / "alerts.jsonl", log)
    record.alerts_log = str(log)
    return record, ReplaySource(DATA / "prometheus.json")
