"""`harness report list|show|schema`: past game days and their reports."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from harness.cli import UserError
from harness.commands.gate import read_report
from reports import history
from reports.model import ReportError, json_schema
from reports.render import render_markdown


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="list and show game-day reports")
    parser.add_argument(
        "--runs-dir",
        type=Path,
        default=history.DEFAULT_RUNS_DIR,
        help="run index folder (default reports/runs)",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="past runs, newest first")
    listing.add_argument("--profile", help="only runs of this profile")
    listing.add_argument("--json", action="store_true", help="print the index entries as JSON")
    listing.set_defaults(handler=list_runs)
    show = actions.add_parser("show", help="a run's summary (run id, run folder or report.json)")
    show.add_argument("run", metavar="RUN")
    show.add_argument("--json", action="store_true", help="print report.json instead")
    show.set_defaults(handler=show_run)
    schema = actions.add_parser("schema", help="print the JSON Schema of report.json")
    schema.set_defaults(handler=print_schema)


def list_runs(args: argparse.Namespace) -> int:
    try:
        entries = history.list_runs(args.runs_dir)
    except ReportError as exc:
        raise UserError(str(exc)) from None
    if args.profile:
        entries = [e for e in entries if e.profile == args.profile]
    if args.json:
        print(json.dumps([e.model_dump() for e in entries], indent=2))
        return 0
    if not entries:
        print(f"no runs indexed in {history.index_path(args.runs_dir)}")
        return 0
    print(f"{'run':40} {'profile':10} {'verdict':8} {'score':>5}  {'revision':14} started")
    for e in entries:
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.started_at))
        flag = "" if e.complete else " (incomplete)"
        print(
            f"{e.run_id:40} {e.profile:10} {e.verdict:8} {e.score:5.1f}  {e.git_revision:14} "
            f"{started}{flag}"
        )
    return 0


def show_run(args: argparse.Namespace) -> int:
    path = Path(args.run)
    if not path.exists():
        entry = history.find_run(args.run, args.runs_dir)
        if entry is None:
            raise UserError(
                f"{args.run}: neither a report path nor a run in "
                f"{history.index_path(args.runs_dir)}"
            )
        path = history.run_dir_of(entry, args.runs_dir)
    report = read_report(path)
    if args.json:
        print(report.model_dump_json(indent=2))
    elif report.evaluation is None:
        raise UserError(f"{path}: the report has not been judged; run `harness gate` on it")
    else:
        print(render_markdown(report), end="")
    return 0


def print_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return 0
