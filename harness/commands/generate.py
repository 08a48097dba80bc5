"""`harness generate [--check]`: write every generated file, or list what would change."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli import UserError
from slo.generate import REPO_ROOT, stale, write
from slo.model import SpecError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate rules, alerts, Alertmanager config, promtool tests and dashboards",
        description="Generate Prometheus rules, alerts, Alertmanager config, promtool tests "
        "and dashboards from slo/specs and dashboards/*.dashboard.py.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 and list the files a regeneration would change",
    )
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        changes = stale(args.root) if args.check else write(args.root)
    except SpecError as exc:
        raise UserError(str(exc)) from None
    for line in changes:
        print(line)
    if args.check and changes:
        print(f"{len(changes)} generated file(s) out of date: run `harness generate`")
        return 1
    if not changes:
        print("generated files are up to date")
    return 0
