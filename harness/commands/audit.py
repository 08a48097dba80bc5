"""`harness audit`: check the saga's integrity invariants in the service databases and
reconcile the payments with the payment provider's ledger."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

import psycopg

from harness.audit import (
    SERVICES,
    LedgerUnavailable,
    ProviderLedger,
    database_urls_from_topology,
    format_report,
    provider_ledger_from_topology,
    run_audit,
)
from harness.cli import UserError
from harness.platform import state


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="check the order saga's integrity and money invariants",
        description="Check the integrity invariants straight against the service databases "
        "of the running platform (or the URLs given) and reconcile the payments with the "
        "payment provider's ledger. Waits for in-flight orders to settle first. Exit code 1 "
        "when any invariant fails.",
    )
    parser.add_argument(
        "--db",
        action="append",
        default=[],
        metavar="SERVICE=URL",
        help=f"database URL of a service ({', '.join(SERVICES)}); repeatable",
    )
    parser.add_argument(
        "--provider", metavar="URL", help="payment provider address (default: the platform's)"
    )
    parser.add_argument(
        "--provider-token",
        metavar="TOKEN",
        help="the provider's admin token (default: the platform's, else dev-admin-token)",
    )
    parser.add_argument("--state-dir", help="platform state folder (default .harness)")
    parser.add_argument(
        "--settle",
        type=float,
        default=60.0,
        metavar="S",
        help="wait up to S seconds for pending orders and events (default 60)",
    )
    parser.add_argument(
        "--since",
        type=_timestamp,
        metavar="TIME",
        help="ISO time (e.g. 2026-05-01T12:00:00+00:00; local time without an offset): "
        "violations of orders and events created before it are listed as inherited and do "
        "not fail the audit (default: everything counts)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO time like 2026-05-01T12:00:00+00:00"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def _sources(args: argparse.Namespace) -> tuple[dict[str, str], ProviderLedger]:
    urls: dict[str, str] = {}
    ledger = None
    current = state.running(state.state_dir(args.state_dir))
    if current is not None and current.alive:
        topology = current.run_dir / "topology.json"
        urls.update(database_urls_from_topology(topology))
        ledger = provider_ledger_from_topology(topology)
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
    if args.provider:
        ledger = ProviderLedger(args.provider.rstrip("/"))
    if ledger is None:
        raise UserError(
            "no payment provider to reconcile with: start the platform with `harness up` "
            "or pass --provider URL"
        )
    if args.provider_token:
        ledger = ProviderLedger(ledger.url, args.provider_token)
    return urls, ledger


def run(args: argparse.Namespace) -> int:
    urls, ledger = _sources(args)

    def progress(remaining: int) -> None:
        if not args.json:
            print(
                f"\rwaiting for {remaining} pending orders/events to settle...",
                end="",
                file=sys.stderr,
                flush=True,
            )

    try:
        report = run_audit(urls, args.settle, progress, ledger=ledger, since=args.since)
    except psycopg.OperationalError as exc:
        raise UserError(
            f"cannot reach a service database: {str(exc).strip().splitlines()[0]}"
        ) from exc
    except LedgerUnavailable as exc:
        raise UserError(f"cannot read the payment provider's ledger: {exc}") from exc
    if not args.json:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
    return 0 if report.passed else 1
