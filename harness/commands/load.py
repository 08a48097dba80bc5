"""`harness load`: Locust load against the platform, as a subprocess, with thresholds."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.cli import UserError
from harness.commands.probe import add_gateway_options, platform_gateway
from harness.platform import state
from load_scenarios import shapes
from load_scenarios.runner import LoadPlan, LoadRun, format_result, start_load
from load_scenarios.scenarios import SCENARIOS
from load_scenarios.thresholds import Limits, parse_limit

SUMMARY_EVERY_S = 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "load",
        help="run Locust load against the platform",
        description="Run a Locust load scenario headless against the gateway. Output (CSV, "
        "JSON, HTML, logs) goes into the run directory. Exit code: 0 when the thresholds "
        "hold (without thresholds: when no request failed), 3 when a threshold is broken, "
        "1 on request failures without thresholds.",
    )
    parser.add_argument("--scenario", default="mixed", choices=sorted(SCENARIOS))
    parser.add_argument("--shape", default="steady", choices=sorted(shapes.SHAPES))
    parser.add_argument("--duration", default="1m", help="e.g. 90s, 2m, 1h (default 1m)")
    parser.add_argument("--users", type=int, default=10, help="simulated users (default 10)")
    parser.add_argument("--peak-users", type=int, help="spike shape: users at the peak")
    parser.add_argument("--spawn-rate", type=float, help="users started per second")
    parser.add_argument(
        "--workers", type=int, default=0, help="distributed: a master and N worker processes"
    )
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="REQ:LIMITS",
        help="e.g. 'GET /products/[id]:p95_ms=300,fail_ratio=0.01', '*:p95_ms=800' or "
        "'Aggregated:fail_ratio=0.01'; repeatable",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="output folder")
    parser.add_argument("--quiet", action="store_true", help="no live summary lines")
    add_gateway_options(parser)
    parser.set_defaults(handler=_load)


def _plan(args: argparse.Namespace, gateway: str) -> LoadPlan:
    try:
        thresholds: dict[str, Limits] = dict(parse_limit(text) for text in args.threshold)
        plan = LoadPlan(
            gateway_url=gateway,
            scenario=args.scenario,
            shape=args.shape,
            duration_s=shapes.parse_duration(args.duration),
            users=args.users,
            peak_users=args.peak_users,
            spawn_rate=args.spawn_rate,
            thresholds=thresholds,
            workers=args.workers,
        )
        plan.validate()
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return plan


def _load(args: argparse.Namespace) -> int:
    gateway, run_dir = platform_gateway(args)
    plan = _plan(args, gateway)
    base = run_dir if run_dir is not None else state.state_dir(args.state_dir)
    out_dir = args.out or base / "load" / time.strftime("%Y%m%d-%H%M%S")
    run = start_load(plan, out_dir)
    print(
        f"load: {plan.scenario} scenario, {plan.shape} shape, {plan.users} users, "
        f"{plan.duration_s:g}s against {gateway}; output in {out_dir}",
        flush=True,
    )
    try:
        _follow(run, args.quiet)
    except KeyboardInterrupt:
        print("load: stopping (Ctrl-C)...", flush=True)
        run.stop()
    result = run.wait(timeout=60)
    print("\n".join(format_result(result)))
    return result.exit_code


def _follow(run: LoadRun, quiet: bool) -> None:
    while run.running:
        time.sleep(SUMMARY_EVERY_S)
        line = run.summary_line()
        if line and not quiet:
            print(line, flush=True)
