"""`harness audit`: check the saga's integrity invariants in the service databases."""

from __future__ import annotations

import argparse
import json
import sys

import psycopg

from harness.audit import SERVICES, database_urls_from_topology, format_report, run_audit
from harness.cli import UserError
from harness.platform import state


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="check the order saga's integrity invariants",
        description="Check the integrity invariants straight against the service databases "
        "of the running platform (or the URLs given). Waits for in-flight orders to settle "
        "first. Exit code 1 when any invariant fails.",
    )
    parser.add_argument(
        "--db",
        action="append",
        default=[],
        metavar="SERVICE=URL",
        help=f"database URL of a service ({', '.join(SERVICES)}); repeatable",
    )
    parser.add_argument("--state-dir", help="platform state folder (default .harness)")
    parser.add_argument(
        "--settle",
        type=float,
        default=60.0,
        metavar="S",
        help="wait up to S seconds for pending orders and events (default 60)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def _urls(args: argparse.Namespace) -> dict[str, str]:
    urls: dict[str, str] = {}
    current = state.running(state.state_dir(args.state_dir))
    if current is not None and current.alive:
        urls.update(database_urls_from_topology(current.run_dir / "topology.json"))
    for item in args.db:
        service, sep, url = item.partition("=")
        if not sep or service not in SERVICES:
            raise UserError(f"--db expects SERVICE=URL with SERVICE one of {', '.join(SERVICES)}")
        urls[service] = url
    missing = [s for s in SERVICES if s not in urls]
    if missing:
        raise UserError(
            f"no database URL for {', '.join(missing)}: start the platform with `harness up` "
            "or pass --db SERVICE=URL"
        )
    return urls


def run(args: argparse.Namespace) -> int:
    urls = _urls(args)

    def progress(remaining: int) -> None:
        if not args.json:
            print(
                f"\rwaiting for {remaining} pending orders/events to settle...",
                end="",
                file=sys.stderr,
                flush=True,
            )

    try:
        report = run_audit(urls, args.settle, progress)
    except psycopg.OperationalError as exc:
        raise UserError(
            f"cannot reach a service database: {str(exc).strip().splitlines()[0]}"
        ) from exc
    if not args.json:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
    return 0 if report.passed else 1
