"""`harness score`: turn a recorded game (game.json) into a report folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli import UserError
from harness.commands.gate import resolve_baseline
from reports import history
from reports.policy import DEFAULT_POLICY, PolicyError
from reports.publish import publish
from reports.record import GameRecord


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score a recorded game day into a report",
        description="Score GAME_JSON (written by `harness gameday`) from Prometheus while it is "
        "still up (SLO results are marked unavailable when it is gone) and write report.json, "
        "junit.xml, summary.md and report.html next to it; index the run.",
    )
    parser.add_argument("game", type=Path, metavar="GAME_JSON")
    parser.add_argument(
        "--prometheus", metavar="URL", help="Prometheus to ask (default: the record's)"
    )
    parser.add_argument(
        "--policy",
        type=Path,
        default=DEFAULT_POLICY,
        help="scoring policy (default slo/policy.yaml)",
    )
    parser.add_argument("--baseline", default=history.LAST_PASS, metavar="REPORT|last-pass|none")
    parser.add_argument("--out", type=Path, help="report folder (default: the folder of GAME_JSON)")
    parser.add_argument(
        "--runs-dir", type=Path, help="run index to add to (default: the report folder's parent)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        record = GameRecord.load_file(args.game)
    except FileNotFoundError:
        raise UserError(f"{args.game}: no such file") from None
    except ValueError as exc:  # JSON and validation errors
        first = str(exc).splitlines()[0]
        raise UserError(f"{args.game}: not a game record: {first}") from None
    if record.alerts_log and not Path(record.alerts_log).is_absolute():
        record.alerts_log = str(args.game.parent / record.alerts_log)
    out_dir = args.out or args.game.parent
    runs_dir = args.runs_dir or out_dir.parent
    try:
        baseline = resolve_baseline(args.baseline, record.profile, record.run_id, runs_dir)
        report, paths = publish(
            record,
            out_dir,
            runs_dir,
            policy_path=args.policy,
            baseline=baseline,
            prometheus=args.prometheus,
        )
    except PolicyError as exc:
        raise UserError(str(exc)) from None
    assert report.evaluation is not None
    print(
        f"{report.run_id}: {report.evaluation.verdict.upper()} (score "
        f"{report.evaluation.score:g}/100)"
    )
    for kind, path in paths.items():
        print(f"  {kind:8} {path}")
    return 0
