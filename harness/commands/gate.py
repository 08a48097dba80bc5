"""`harness gate`: judge a game-day report against the policy (and a baseline)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli import UserError
from reports import gate, history
from reports.model import Report, ReportError
from reports.policy import DEFAULT_POLICY, PolicyError, load_policy


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="pass or fail a build on a game-day report",
        description="Judge REPORT (a report.json or its run folder) with the policy, print the "
        "verdict and the reasons. Exit 0 pass (and warning unless --strict), 1 fail, 2 usage "
        "or input error.",
    )
    parser.add_argument("report", type=Path, metavar="REPORT")
    parser.add_argument(
        "--policy",
        type=Path,
        default=DEFAULT_POLICY,
        help="scoring policy (default slo/policy.yaml)",
    )
    parser.add_argument(
        "--baseline",
        default="none",
        metavar="REPORT|last-pass|none",
        help="compare with this report, the newest passing run of the same profile, or nothing",
    )
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=history.DEFAULT_RUNS_DIR,
        help="run index folder (for last-pass)",
    )
    parser.add_argument("--strict", action="store_true", help="a warning fails too")
    parser.set_defaults(handler=run)


def report_file(path: Path) -> Path:
    return path / "report.json" if path.is_dir() else path


def read_report(path: Path) -> Report:
    path = report_file(path)
    if not path.exists():
        raise UserError(f"{path}: no such report")
    try:
        return Report.load_file(path)
    except ReportError as exc:
        raise UserError(str(exc)) from None


def resolve_baseline(which: str, profile: str, run_id: str, runs_dir: Path) -> Report | None:
    """`none`, `last-pass` (of `profile`, never run `run_id` itself) or a report path."""
    if which == "none":
        return None
    if which == history.LAST_PASS:
        try:
            return history.find_baseline(which, profile, runs_dir, exclude=run_id)
        except ReportError as exc:
            raise UserError(str(exc)) from None
    return read_report(Path(which))


def run(args: argparse.Namespace) -> int:
    report = read_report(args.report)
    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        raise UserError(str(exc)) from None
    baseline = resolve_baseline(args.baseline, report.profile, report.run_id, args.runs_dir)
    result = gate.evaluate(report, policy, baseline)
    evaluation = result.evaluation
    against = f" against baseline {baseline.run_id}" if baseline else ""
    print(
        f"{report.run_id}: {evaluation.verdict.upper()} (score {evaluation.score:g}/100){against}"
    )
    for reason in evaluation.reasons:
        print(f"  - {reason}")
    return result.exit_code(strict=args.strict)
