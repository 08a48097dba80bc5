"""`harness probe list|run`: the synthetic probe journeys, one run at a time."""

from __future__ import annotations

import argparse
from pathlib import Path

import httpx

from harness.cli import UserError
from harness.platform import state
from synthetic_probes.fixtures import FixtureError
from synthetic_probes.journey import JourneyError, load_journeys
from synthetic_probes.runner import find_journey, format_result, run_journey_once
from synthetic_probes.settings import DEFAULT_JOURNEYS_DIR


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probe = subparsers.add_parser(
        "probe",
        help="list or run the synthetic probe journeys",
        description="Synthetic journeys through the gateway (synthetic_probes/journeys). The "
        "probe-runner component runs them continuously; these commands run one once.",
    )
    actions = probe.add_subparsers(dest="probe_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the journeys, their steps and intervals")
    _journeys_option(listing)
    listing.set_defaults(handler=_list)
    run = actions.add_parser(
        "run",
        help="run one journey once and print each step",
        description="Run a journey once against the gateway; exit code 1 when it fails.",
    )
    run.add_argument("journey", help="journey name (see `harness probe list`)")
    _journeys_option(run)
    add_gateway_options(run)
    run.set_defaults(handler=_run)


def add_gateway_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--gateway", metavar="URL", help="gateway URL (default: the platform from `harness up`)"
    )
    parser.add_argument(
        "--state-dir", metavar="DIR", help="platform state folder (default .harness)"
    )


def platform_gateway(args: argparse.Namespace) -> tuple[str, Path | None]:
    """The gateway URL to use, and the running platform's run directory if there is one."""
    current = state.running(state.state_dir(args.state_dir))
    run_dir = current.run_dir if current is not None and current.alive else None
    if args.gateway:
        return args.gateway.rstrip("/"), run_dir
    if run_dir is None:
        raise UserError("no platform running; start one with `harness up` or pass --gateway URL")
    try:
        urls = state.component_urls(run_dir)
    except (FileNotFoundError, ValueError):
        raise UserError("the platform is still starting; try again in a moment") from None
    if "gateway" not in urls:
        raise UserError(f"the running platform ({run_dir}) has no gateway; pass --gateway URL")
    return urls["gateway"], run_dir


def _journeys_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journeys-dir",
        type=Path,
        default=DEFAULT_JOURNEYS_DIR,
        metavar="DIR",
        help="folder of journey YAML files (default: the bundled journeys)",
    )


def _list(args: argparse.Namespace) -> int:
    try:
        journeys = load_journeys(args.journeys_dir)
    except JourneyError as exc:
        raise UserError(str(exc)) from exc
    for journey in journeys.values():
        steps = " -> ".join(step.name for step in journey.steps)
        cleanup = (
            f" (cleanup: {', '.join(s.name for s in journey.cleanup)})" if journey.cleanup else ""
        )
        print(
            f"{journey.name:<12} every {journey.interval_seconds:g}s, timeout "
            f"{journey.timeout_seconds:g}s: {steps}{cleanup}"
        )
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        find_journey(args.journey, args.journeys_dir)
    except JourneyError as exc:
        raise UserError(str(exc)) from exc
    gateway, _ = platform_gateway(args)
    try:
        result = run_journey_once(args.journey, gateway, args.journeys_dir)
    except FixtureError as exc:
        raise UserError(f"cannot prepare the probe's customer and product: {exc}") from exc
    except httpx.HTTPError as exc:
        raise UserError(f"gateway {gateway} unreachable: {exc}") from exc
    print("\n".join(format_result(result)))
    return 0 if result.ok else 1
