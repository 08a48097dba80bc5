"""`harness up/down`: bring a platform up in the foreground or detached, and take it down."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from harness.platform import monitoring, state
from harness.platform.processes import PortTaken, port_in_use, take_stop_signals, wait_until_gone
from harness.platform.seed import SeedError, seed
from harness.platform.supervisor import Platform, PlatformError, Progress
from harness.platform.topology import (
    PlatformOptions,
    Ports,
    Topology,
    build_topology,
    provider_ledger_beside,
)

Echo = Callable[[str], None]
PORT_ATTEMPTS = 3


class UpError(Exception):
    """Why the platform cannot come up, in one or a few readable lines."""


class PortsInUse(UpError, PortTaken):
    """Ports of the platform are taken before it starts."""


def check_ports(topology: Topology) -> None:
    wanted = {c.name: c.port for c in topology.components if c.port}
    wanted["harness"] = topology.control_port
    taken = [f"{port} ({name})" for name, port in wanted.items() if port_in_use(port)]
    if taken:
        ports = f"port {taken[0]} is" if len(taken) == 1 else f"ports {', '.join(taken)} are"
        raise PortsInUse(
            f"{ports} already in use; stop what holds them, or use "
            "--port-base N or --free-ports to run beside it"
        )


def refuse_if_running(state_dir: Path) -> None:
    current = state.running(state_dir)
    if current is not None and current.alive:
        raise UpError(
            f"a platform is already running (harness pid {current.pid}, run {current.run_dir}); "
            "run `harness down` first"
        )


def prepare(opts: PlatformOptions) -> Topology:
    try:
        monitoring.ensure_binaries()
        topology = build_topology(opts)
    except (monitoring.MissingBinaries, ValueError) as exc:
        raise UpError(str(exc)) from exc
    check_ports(topology)
    return topology


def format_status(rows: Sequence[dict[str, Any]]) -> str:
    header = ("COMPONENT", "PID", "PORT", "READY", "RESTARTS", "UPTIME", "STATE")
    table = [header]
    for row in rows:
        uptime = row.get("uptime_s")
        table.append(
            (
                row["name"],
                str(row["pid"] or "-"),
                str(row["port"] or "-"),
                "yes" if row["ready"] else "no",
                str(row["restarts"]),
                _duration(uptime) if uptime is not None else "-",
                row["state"] + (f" ({row['reason']})" if row.get("reason") else ""),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + "  " + line[-1]
        for line in table
    )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def summary(platform: Platform, opts: PlatformOptions, seeded: str) -> str:
    names = platform.topology.names
    lines = [format_status(platform.status()), ""]
    for name, label in (("gateway", "API gateway"), ("prometheus", "Prometheus"),
                        ("alertmanager", "Alertmanager")):  # fmt: skip
        if name in names:
            lines.append(f"{label:<13} {platform.url(name)}")
    lines.append(
        f"{'control API':<13} {platform.control_url} (token in {platform.run_dir}/control.json)"
    )
    lines.append(f"{'run directory':<13} {platform.run_dir}")
    if "user-service" in names:
        lines.append(f"{'admin login':<13} {opts.admin_email} / {opts.admin_password}")
    if seeded:
        lines.append(f"{'demo catalog':<13} {seeded}")
    return "\n".join(lines)


def seed_catalog(platform: Platform, opts: PlatformOptions) -> str:
    if "gateway" not in platform.topology.names or "product-service" not in platform.topology.names:
        return ""
    try:
        result = seed(platform.url("gateway"), opts.admin_email, opts.admin_password)
    except SeedError as exc:
        return f"not seeded: {exc}"
    if result.created:
        return f"{result.created} products created"
    return f"already present ({result.existing} products)"


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_foreground(
    opts: PlatformOptions,
    state_dir: Path,
    echo: Echo,
    timeout: float,
    seed_demo: bool = True,
    free_ports: bool = False,
) -> int:
    """Start, seed, report, then supervise until Ctrl-C or SIGTERM; always clean up.

    With ``free_ports``, a start that lost a port to another process is tried again on
    new free ports (up to three times)."""
    refuse_if_running(state_dir)
    take_stop_signals(_raise_interrupt)  # SIGTERM stops the same way as Ctrl-C
    started = time.monotonic()

    def progress(component: str, message: str) -> None:
        echo(f"[{time.monotonic() - started:5.1f}s] {component}: {message}")

    platform: Platform | None = None
    try:
        platform, opts = _start(opts, progress, timeout, PORT_ATTEMPTS if free_ports else 1, echo)
        state.record_running(state_dir, platform.run_dir)
        echo(
            f"all {len(platform.topology.components)} components ready in "
            f"{time.monotonic() - started:.1f}s"
        )
        seeded = seed_catalog(platform, opts) if seed_demo else ""
        echo(summary(platform, opts, seeded))
        _write_ready_marker(opts.run_dir)
        echo("supervising; Ctrl-C or `harness down` stops everything")
        threading.Event().wait()
    except KeyboardInterrupt:
        echo("stopping...")
    finally:
        if platform is not None:
            platform.stop()
        state.clear_running(state_dir)
    echo("stopped")
    return 0


def _start(
    opts: PlatformOptions, progress: Progress, timeout: float, attempts: int, echo: Echo
) -> tuple[Platform, PlatformOptions]:
    """A started platform; a start that lost a port is retried on new free ports."""
    for attempt in range(1, attempts + 1):
        try:
            platform = Platform(prepare(opts))
            platform.start(progress=progress, timeout=timeout)  # stops what it started on error
            return platform, opts
        except PortTaken as exc:
            if attempt == attempts:
                raise UpError(str(exc)) from exc
            echo(f"a port was taken while starting ({exc}); trying again on new free ports")
            opts = dataclasses.replace(opts, ports=Ports.free())
        except PlatformError as exc:
            raise UpError(str(exc)) from exc
    raise AssertionError("unreachable")


def _write_ready_marker(run_dir: Path) -> None:
    (run_dir / "ready").write_text(f"{os.getpid()}\n")


def run_detached(argv: Sequence[str], state_dir: Path, echo: Echo, timeout: float) -> int:
    """Re-run `harness up` without --detach in its own session; wait until it is ready."""
    refuse_if_running(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "harness-up.log"
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "harness", "up", *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the terminal; not tied to this process
            env=os.environ | {state.STATE_ENV: str(state_dir)},
        )
    deadline = time.monotonic() + timeout + 30
    while time.monotonic() < deadline:
        current = state.running(state_dir)
        if (
            current is not None
            and current.pid == child.pid
            and (current.run_dir / "ready").exists()
        ):
            echo(_summary_from_log(log_path))
            echo(f"detached: harness pid {child.pid}; `harness down` stops it")
            return 0
        if child.poll() is not None:
            raise UpError(
                f"harness up exited with code {child.returncode}:\n{log_path.read_text()}"
            )
        time.sleep(0.2)
    child.send_signal(signal.SIGTERM)
    raise UpError(f"platform not ready in time; see {log_path}")


def _summary_from_log(log_path: Path) -> str:
    lines = log_path.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("all ")), 0)
    return "\n".join(line for line in lines[start:] if not line.startswith("supervising"))


def down(state_dir: Path, echo: Echo, grace: float = 30.0) -> int:
    current = state.running(state_dir)
    if current is None or not current.alive:
        state.clear_running(state_dir)
        echo("no platform running")
        return 0
    children = _component_pids(current.run_dir)
    os.kill(current.pid, signal.SIGTERM)
    if not wait_until_gone(current.pid, grace):
        # Its children go with it: the kernel sends them the parent-death signal.
        os.kill(current.pid, signal.SIGKILL)
        wait_until_gone(current.pid, 5)
    leftovers = [pid for pid in children if not wait_until_gone(pid, 5)]
    state.clear_running(state_dir)
    if leftovers:
        raise UpError(f"processes still running after down: {leftovers}")
    echo(f"platform stopped (run {current.run_dir})")
    return 0


def _component_pids(run_dir: Path) -> list[int]:
    try:
        document = json.loads((run_dir / "topology.json").read_text())
    except (FileNotFoundError, ValueError):
        return []
    return [c["pid"] for c in document.get("components", []) if c.get("pid")]


def wipe_databases(state_dir: Path) -> None:
    """Empty databases for `harness up --fresh`: PostgreSQL's data and the payment
    provider's ledger go together (the audit reconciles one with the other)."""
    postgres_dir = state.postgres_data_dir(state_dir)
    shutil.rmtree(postgres_dir, ignore_errors=True)
    ledger = provider_ledger_beside(postgres_dir)
    for suffix in ("", "-wal", "-shm"):  # SQLite's write-ahead log and its index
        ledger.with_name(ledger.name + suffix).unlink(missing_ok=True)
