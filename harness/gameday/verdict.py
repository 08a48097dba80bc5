"""After the game: score it, write the report folder, index the run, gate on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands.gate import resolve_baseline
from harness.gameday.progress import PhaseProgress
from reports.gate import GateResult
from reports.publish import publish
from reports.record import GameRecord


def conclude(
    record: GameRecord, out_dir: Path, args: argparse.Namespace, progress: PhaseProgress
) -> int:
    """Exit code of the gate: 0 pass (and warning unless --strict), 1 fail."""
    progress.line("scoring: SLOs, alerts, recovery and integrity")
    baseline = resolve_baseline(args.baseline, record.profile, record.run_id, args.reports_dir)
    report, paths = publish(
        record, out_dir, args.reports_dir, policy_path=args.policy, baseline=baseline
    )
    assert report.evaluation is not None
    evaluation = report.evaluation
    against = f" against baseline {baseline.run_id}" if baseline else ""
    complete = "" if record.complete else " (INCOMPLETE game)"
    progress.line(
        f"verdict: {evaluation.verdict.upper()}{complete} - score {evaluation.score:g}/100{against}"
    )
    for reason in evaluation.reasons:
        progress.line(f"  - {reason}")
    for kind, path in paths.items():
        progress.line(f"  {kind:8} {path}")
    return GateResult(evaluation).exit_code(strict=args.strict)
