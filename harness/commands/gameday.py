"""`harness gameday`: play a game day against the platform, score it and gate on it."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from harness.cli import UserError
from harness.gameday.platform_handle import PlatformHandle, PlatformUnavailable
from harness.gameday.play import GameDay, SeededFault, new_run_id
from harness.gameday.profile import PROJECT_ROOT, ProfileError, available_profiles, load_profile
from harness.gameday.progress import PhaseProgress
from harness.gameday.verdict import conclude
from harness.platform import state
from reports.policy import PolicyError, load_policy

REPORTS_DIR = PROJECT_ROOT / "reports" / "runs"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gameday",
        help="play a game day, score it and gate on the report",
        description="Start the platform (unless one is running), warm it up under load with "
        "probes on, play the profile's chaos rounds, cool down, audit the saga's integrity, "
        "score SLOs, alerts and recovery into a report and gate on it. Ctrl-C stops cleanly "
        "with rollbacks applied and a partial report marked incomplete.",
    )
    parser.add_argument(
        "--profile", default="smoke",
        help=f"built-in profile ({', '.join(available_profiles())}) or a YAML file (default smoke)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="leave the platform running")
    parser.add_argument("--policy", type=Path, default=PROJECT_ROOT / "slo" / "policy.yaml",
                        help="scoring policy (default slo/policy.yaml)")  # fmt: skip
    parser.add_argument(
        "--baseline",
        default="last-pass",
        metavar="REPORT|last-pass|none",
        help="compare with this report.json, the newest passing run of the profile, or nothing",
    )
    parser.add_argument("--strict", action="store_true", help="a warning verdict fails too")
    parser.add_argument(
        "--seed-fault", metavar="SERVICE:ROUTE:LATENCY_MS",
        help="plant a latency regression for the whole game, e.g. product-service:/products*:600",
    )  # fmt: skip
    parser.add_argument("--reports-dir", type=Path, default=REPORTS_DIR,
                        help="where runs are written (default reports/runs)")  # fmt: skip
    parser.add_argument("--state-dir", help="platform state folder (default .harness)")
    ports = parser.add_mutually_exclusive_group()
    ports.add_argument("--port-base", type=int, metavar="N", help="start the platform on N..N+12")
    ports.add_argument("--free-ports", action="store_true", help="start the platform on free ports")
    parser.add_argument("--timeout", type=float, default=120, help="platform start timeout (s)")
    parser.set_defaults(handler=run)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.profile)
        seeded = SeededFault.parse(args.seed_fault) if args.seed_fault else None
    except (ProfileError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    try:
        load_policy(args.policy)  # a bad policy fails now, not after the whole game
    except PolicyError as exc:
        raise UserError(str(exc)) from exc
    progress = PhaseProgress()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    port_args = (["--port-base", str(args.port_base)] if args.port_base else []) + (
        ["--free-ports"] if args.free_ports else []
    )
    state_dir = state.state_dir(args.state_dir)
    progress.line(f"game day '{profile.name}': {len(profile.rounds)} rounds, "
                  f"about {profile.expected_duration_s() / 60:.0f} min")  # fmt: skip
    try:
        platform = PlatformHandle.attach_or_start(
            state_dir, port_args=port_args, timeout=args.timeout, echo=progress.line
        )
    except PlatformUnavailable as exc:
        raise UserError(f"cannot start the platform: {exc}") from exc
    except KeyboardInterrupt:
        progress.line("interrupted before the game started")
        return 130
    out_dir = args.reports_dir / new_run_id(profile.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        game = GameDay(profile, platform, out_dir, progress, seeded)
        record = game.play()
        record.save(out_dir / "game.json")
        return conclude(record, out_dir, args, progress)
    finally:
        if args.keep:
            progress.line(
                f"platform left running (run {platform.run_dir}); `harness down` stops it"
            )
        else:
            platform.down(progress.line)
        sys.stderr.flush()
