"""Score a recorded game and publish it: the report folder plus its entry in the index."""

from __future__ import annotations

from pathlib import Path

from reports import history
from reports.model import Report
from reports.record import GameRecord
from reports.render import write_all
from reports.scoring import score_game


def publish(
    record: GameRecord,
    out_dir: Path,
    runs_dir: Path,
    *,
    policy_path: Path,
    baseline: Report | None,
    prometheus: str | None = None,
) -> tuple[Report, dict[str, Path]]:
    """Returns the judged report and the files written (json, junit, markdown, html)."""
    report = score_game(record, prometheus=prometheus, policy_path=policy_path, baseline=baseline)
    paths = write_all(report, out_dir)
    history.add_run(report, out_dir, runs_dir)
    return report, paths
