"""`harness up|down|status|logs|stop|start|kill|pause|resume`: the local platform."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from harness.cli import UserError
from harness.platform import lifecycle, state
from harness.platform.control import ControlClient, ControlError
from harness.platform.supervisor import tail
from harness.platform.topology import (
    DEFAULT_ADMIN_EMAIL,
    DEFAULT_ADMIN_PASSWORD,
    PlatformOptions,
    Ports,
)

ACTION_HELP = {
    "stop": "stop a component and keep it stopped until `harness start`",
    "start": "start a stopped component and wait until it is ready",
    "kill": "SIGKILL a component; the restart policy brings it back",
    "pause": "SIGSTOP a component (it hangs but keeps its port)",
    "resume": "SIGCONT a paused component",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = subparsers.add_parser(
        "up",
        help="start the whole platform and supervise it",
        description="Start PostgreSQL, the dev Kafka broker, the services, Prometheus and "
        "Alertmanager; seed a demo catalog; restart whatever dies until stopped.",
    )
    _state_option(up)
    up.add_argument("--detach", action="store_true", help="run in the background")
    ports = up.add_mutually_exclusive_group()
    ports.add_argument(
        "--port-base", type=int, metavar="N", help="ports N..N+12 instead of the defaults"
    )
    ports.add_argument("--free-ports", action="store_true", help="let the OS pick free ports")
    up.add_argument(
        "--profile",
        choices=["default", "game"],
        default="default",
        help="rule files for Prometheus: default, or the game-day variants",
    )
    up.add_argument(
        "--only",
        metavar="A,B",
        default="",
        help="start only these components (and what they depend on)",
    )
    up.add_argument("--fresh", action="store_true", help="start from empty databases")
    up.add_argument("--no-seed", action="store_true", help="do not create the demo catalog")
    up.add_argument(
        "--timeout", type=float, default=90.0, help="seconds to wait for readiness (default 90)"
    )
    up.set_defaults(handler=_up)

    down = subparsers.add_parser("down", help="stop a running platform, leaving nothing behind")
    _state_option(down)
    down.set_defaults(handler=_down)

    status = subparsers.add_parser("status", help="components, pids, ports, readiness")
    _state_option(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=_status)

    logs = subparsers.add_parser("logs", help="show a component's log")
    _state_option(logs)
    logs.add_argument("component")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("-n", "--lines", type=int, default=50, help="lines to show (default 50)")
    logs.set_defaults(handler=_logs)

    for action, text in ACTION_HELP.items():
        parser = subparsers.add_parser(action, help=text, description=text[0].upper() + text[1:])
        _state_option(parser)
        parser.add_argument("component")
        parser.set_defaults(handler=_act, action=action)


def _state_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help=f"where runs and data live (default ${state.STATE_ENV} or .harness)",
    )


def _echo(text: str) -> None:
    print(text, flush=True)


def _up(args: argparse.Namespace) -> int:
    state_dir = state.state_dir(args.state_dir)
    if args.detach:
        argv = _foreground_argv(args)
        return _guard(lambda: lifecycle.run_detached(argv, state_dir, _echo, args.timeout))
    if args.fresh:
        lifecycle.wipe_databases(state_dir)
    try:
        ports = (
            Ports.free()
            if args.free_ports
            else Ports.from_base(args.port_base)
            if args.port_base
            else Ports.default()
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    opts = PlatformOptions(
        run_dir=state.new_run_dir(state_dir),
        ports=ports,
        postgres_data_dir=state.postgres_data_dir(state_dir),
        profile=args.profile,
        external_kafka=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", ""),
        admin_email=os.environ.get("USER_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL),
        admin_password=os.environ.get("USER_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD),
        only=tuple(name for name in args.only.split(",") if name),
    )
    return _guard(
        lambda: lifecycle.run_foreground(
            opts, state_dir, _echo, args.timeout, not args.no_seed, free_ports=args.free_ports
        )
    )


def _foreground_argv(args: argparse.Namespace) -> list[str]:
    """The same `harness up`, minus --detach, for the background process."""
    argv = ["--profile", args.profile, "--timeout", str(args.timeout)]
    if args.free_ports:
        argv.append("--free-ports")
    if args.port_base:
        argv += ["--port-base", str(args.port_base)]
    if args.only:
        argv += ["--only", args.only]
    argv += [flag for flag, on in (("--fresh", args.fresh), ("--no-seed", args.no_seed)) if on]
    return argv


def _guard(run: Callable[[], int]) -> int:
    try:
        return run()
    except lifecycle.UpError as exc:
        raise UserError(str(exc)) from exc


def _down(args: argparse.Namespace) -> int:
    return _guard(lambda: lifecycle.down(state.state_dir(args.state_dir), _echo))


def _running_run_dir(args: argparse.Namespace) -> Path:
    current = state.running(state.state_dir(args.state_dir))
    if current is None or not current.alive:
        raise UserError("no platform running; start one with `harness up`")
    return current.run_dir


def _client(args: argparse.Namespace) -> ControlClient:
    try:
        return ControlClient.from_run_dir(_running_run_dir(args))
    except FileNotFoundError:
        raise UserError("the platform is still starting; try again in a moment") from None


def _status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        try:
            rows = client.list()
        except ControlError as exc:
            raise UserError(str(exc)) from exc
    print(json.dumps(rows, indent=2) if args.json else lifecycle.format_status(rows))
    return 0 if all(row["ready"] for row in rows) else 1


def _act(args: argparse.Namespace) -> int:
    with _client(args) as client:
        try:
            result = getattr(client, args.action)(args.component)
        except ControlError as exc:
            raise UserError(str(exc)) from exc
    print(lifecycle.format_status([result]))
    return 0


def _logs(args: argparse.Namespace) -> int:
    run_dir = _latest_run_dir(args)
    path = run_dir / "logs" / f"{args.component}.log"
    if not path.exists():
        known = sorted(p.stem for p in (run_dir / "logs").glob("*.log"))
        raise UserError(f"no log for {args.component!r} in {run_dir} (have: {', '.join(known)})")
    print(tail(path, args.lines))
    if args.follow:
        _follow(path)
    return 0


def _latest_run_dir(args: argparse.Namespace) -> Path:
    """The running platform's run, else the most recent one: logs outlive the platform."""
    state_dir = state.state_dir(args.state_dir)
    current = state.running(state_dir)
    if current is not None:
        return current.run_dir
    latest = state_dir / "runs" / "latest"
    if not latest.exists():
        raise UserError(f"no runs in {state_dir}; start one with `harness up`")
    return latest.resolve()


def _follow(path: Path) -> None:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        while True:
            chunk = handle.read()
            if chunk:
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
            else:
                time.sleep(0.25)
