"""`harness chaos list|validate|run`: Chaos Toolkit experiments against the platform."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx

from harness.cli import UserError
from harness.platform import state


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chaos = subparsers.add_parser(
        "chaos",
        help="list, validate and run Chaos Toolkit experiments",
        description="Chaos Toolkit experiments in chaos_experiments/ (local/ runs against "
        "the platform started by `harness up`; kubernetes/ needs a cluster).",
    )
    actions = chaos.add_subparsers(dest="chaos_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="experiments with their expected alerts")
    _target_option(listing)
    listing.set_defaults(handler=_list)

    validate = actions.add_parser("validate", help="validate experiments with chaoslib")
    _target_option(validate)
    validate.add_argument("experiments", nargs="*", metavar="EXPERIMENT", help="default: all")
    validate.set_defaults(handler=_validate)

    run = actions.add_parser(
        "run",
        help="run one experiment against the running platform",
        description="Run an experiment (name from `harness chaos list`, or a path); rollbacks "
        "always run. The journal goes into the run directory under chaos/. Exit code 0 "
        "when the steady state held and the rollback succeeded, 1 otherwise.",
    )
    run.add_argument("experiment", metavar="EXPERIMENT")
    run.add_argument(
        "--state-dir",
        metavar="DIR",
        help=f"where runs and data live (default ${state.STATE_ENV} or .harness)",
    )
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    run.set_defaults(handler=_run)


def _target_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", choices=["local", "kubernetes"], default="local", help="default: local"
    )


def _list(args: argparse.Namespace) -> int:
    from chaos_experiments import catalog

    for path in catalog.experiment_files(args.target):
        try:
            experiment = catalog.load(path)
        except catalog.ExperimentError as exc:
            raise UserError(str(exc)) from exc
        meta = catalog.metadata(experiment, path)
        alerts = ", ".join(meta.expected_alerts) or "no alert"
        print(f"{catalog.experiment_name(path):34} {experiment['title']}")
        print(f"{'':34} expects {alerts}; recovers within {meta.max_recovery_seconds:g}s")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from chaos_experiments import catalog

    try:
        paths = [catalog.resolve(name, args.target) for name in args.experiments]
    except catalog.ExperimentError as exc:
        raise UserError(str(exc)) from exc
    failures = 0
    for path in paths or catalog.experiment_files(args.target):
        try:
            catalog.load(path)
        except catalog.ExperimentError as exc:
            print(f"invalid: {exc}", file=sys.stderr)
            failures += 1
        else:
            print(f"valid: {path}")
    return 1 if failures else 0


def _run(args: argparse.Namespace) -> int:
    from chaos_experiments import catalog, runner

    current = state.running(state.state_dir(args.state_dir))
    if current is None or not current.alive:
        raise UserError("no platform running; start one with `harness up`")
    try:
        endpoints = runner.PlatformEndpoints.from_run_dir(Path(current.run_dir))
    except FileNotFoundError:
        raise UserError("the platform is still starting; try again in a moment") from None
    progress = None if args.json else (lambda line: print(line, flush=True))
    try:
        result = runner.run(args.experiment, endpoints, progress=progress)
    except catalog.ExperimentError as exc:
        raise UserError(str(exc)) from exc
    except httpx.HTTPError as exc:
        raise UserError(f"control API at {endpoints.control_url}: {exc}") from exc
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    return 0 if result.succeeded else 1
