"""`harness up/down/status/...` as a user runs them, in subprocesses.

A partial platform (PostgreSQL, the dev broker, one service, Prometheus, Alertmanager)
keeps these quick; the full platform is exercised in test_platform_running.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.platform.processes import pid_alive, port_in_use
from harness.platform.supervisor import STOP_GRACE
from tests.waiting import holds_for, wait_until

pytestmark = pytest.mark.slow

SUBSET = "product-service,prometheus,alertmanager"
ROOT = Path(__file__).resolve().parents[3]
# `harness up` stops its components layer by layer in reverse dependency order, each
# layer given STOP_GRACE before SIGKILL: the deadline for a whole stop follows from that
# (at most one layer per component), plus the harness' own exit on a busy machine.
STOP_WITHIN_S = len(SUBSET.split(",")) * STOP_GRACE + 30


def harness(*args: str, state: Path, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def start_foreground(
    state: Path, *extra: str, stop_signals_disabled: bool = False
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "up", "--free-ports", "--only", SUBSET,
         "--state-dir", str(state), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        preexec_fn=_disable_stop_signals if stop_signals_disabled else None,
    )  # fmt: skip


def _disable_stop_signals() -> None:
    """What a parent can hand down: SIGINT ignored (a background job of a script) and both
    stop signals blocked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def stop(process: subprocess.Popen[str], sig: int) -> str:
    """Send ``sig`` and collect the output; a process that does not stop in time is
    failed with the state of its signals and threads, which says where it is stuck."""
    process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=STOP_WITHIN_S)
    except subprocess.TimeoutExpired as exc:
        where = _signal_and_thread_state(process.pid)
        process.kill()
        output = exc.output.decode() if isinstance(exc.output, bytes) else exc.output or ""
        pytest.fail(
            f"harness up did not stop within {STOP_WITHIN_S:g}s of {signal.Signals(sig).name}\n"
            f"{where}\noutput:\n{output}"
        )
    return output


def _signal_and_thread_state(pid: int) -> str:
    proc = Path(f"/proc/{pid}")
    lines = [
        line
        for line in (proc / "status").read_text().splitlines()
        if line.startswith(("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"))
    ]
    for task in sorted((proc / "task").iterdir()):
        name = (task / "comm").read_text().strip()
        lines.append(f"thread {task.name} {name}: waiting in {(task / 'wchan').read_text()}")
    return "\n".join(lines)


def wait_ready(state: Path, process: subprocess.Popen[str], within: float = 60) -> Path:
    marker = state / "runs" / "latest" / "ready"

    def ready() -> bool:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"harness up exited early:\n{output}")
        return marker.exists()

    try:
        wait_until(ready, within=within, what="harness up writing its ready marker")
    except AssertionError:
        process.kill()
        raise
    return marker.parent.resolve()


def component_pids_and_ports(run_dir: Path) -> tuple[list[int], list[int]]:
    document = json.loads((run_dir / "topology.json").read_text())
    pids = [c["pid"] for c in document["components"] if c["pid"]]
    ports = [c["port"] for c in document["components"] if c["port"]]
    control = (
        json.loads((run_dir / "control.json").read_text())
        if (run_dir / "control.json").exists()
        else None
    )
    if control:
        ports.append(int(control["url"].rsplit(":", 1)[1]))
    return pids, ports


def assert_all_gone(pids: list[int], ports: list[int], within: float = 10) -> None:
    def left_behind() -> tuple[list[int], list[int]]:
        return [pid for pid in pids if pid_alive(pid)], [p for p in ports if port_in_use(p)]

    try:
        wait_until(lambda: left_behind() == ([], []), within=within, what="children gone")
    except AssertionError:
        pids_left, ports_left = left_behind()
        pytest.fail(f"left behind after {within:g}s: pids {pids_left}, ports {ports_left}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_harness_leaves_no_child_and_no_port(tmp_path, sig):
    process = start_foreground(tmp_path)
    run_dir = wait_ready(tmp_path, process)
    pids, ports = component_pids_and_ports(run_dir)
    assert len(pids) == 5 and all(pid_alive(pid) for pid in pids)
    output = stop(process, sig)
    assert process.returncode == 0, output
    assert "stopped" in output
    assert_all_gone(pids, ports)
    assert not (tmp_path / "platform.json").exists()


def test_ctrl_c_stops_the_harness_even_if_its_parent_disabled_the_stop_signals(tmp_path):
    """Started as a background job of a script (SIGINT ignored) by a parent whose stop
    signals were blocked, `harness up` must still stop on SIGINT."""
    process = start_foreground(tmp_path, "--no-seed", stop_signals_disabled=True)
    wait_ready(tmp_path, process)
    output = stop(process, signal.SIGINT)
    assert process.returncode == 0, output
    assert "stopping..." in output


def test_a_killed_harness_takes_its_children_with_it(tmp_path):
    process = start_foreground(tmp_path)
    run_dir = wait_ready(tmp_path, process)
    pids, ports = component_pids_and_ports(run_dir)
    process.kill()  # SIGKILL: no cleanup code runs; the kernel's parent-death signal does it
    process.wait(timeout=10)
    assert_all_gone(pids, ports)


def test_up_refuses_a_taken_port_in_one_line(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        base = holder.getsockname()[1]  # the gateway port of --port-base is base + 0
        result = harness("up", "--port-base", str(base), state=tmp_path)
    assert result.returncode == 2
    error_lines = result.stderr.strip().splitlines()
    # Other ports of the range may be taken too (the machine is shared): each is named.
    taken = r"ports? \d+ \(\S+\)(, \d+ \(\S+\))* (is|are) already in use;"
    assert re.match("harness up: error: " + taken, error_lines[-1]), error_lines[-1]
    assert f" {base} (gateway)" in error_lines[-1]
    assert "Traceback" not in result.stderr


def test_detached_platform_status_kill_stop_start_logs_and_down(tmp_path):
    up = harness("up", "--detach", "--free-ports", "--only", SUBSET, state=tmp_path)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "detached: harness pid" in up.stdout
    try:
        status = harness("status", "--json", state=tmp_path)
        assert status.returncode == 0, status.stderr
        rows = {row["name"]: row for row in json.loads(status.stdout)}
        assert set(rows) == {"postgres", "kafka", "product-service", "prometheus", "alertmanager"}
        assert all(row["ready"] for row in rows.values())

        table = harness("status", state=tmp_path)
        assert table.stdout.splitlines()[0].split()[:6] == [
            "COMPONENT", "PID", "PORT", "READY", "RESTARTS", "UPTIME",
        ]  # fmt: skip

        # A restarted dev broker listens on a new port: its dependents restart with it.
        old_address = (tmp_path / "runs" / "latest" / "kafka.address").read_text()
        assert harness("kill", "kafka", state=tmp_path).returncode == 0
        rows = _wait_for(tmp_path, lambda r: r["kafka"]["restarts"] == 1
                         and r["product-service"]["restarts"] == 1
                         and all(x["ready"] for x in r.values()))  # fmt: skip
        assert (tmp_path / "runs" / "latest" / "kafka.address").read_text() != old_address

        stopped = harness("stop", "product-service", state=tmp_path)
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        # The restart policy must leave a stopped component alone.
        holds_for(
            lambda: (
                (row := _status(tmp_path)["product-service"])["state"] == "stopped"
                and row["pid"] is None
            ),
            seconds=1.5,
            what="product-service staying stopped",
        )
        started = harness("start", "product-service", state=tmp_path)
        assert started.returncode == 0 and "ready" in started.stdout

        unknown = harness("kill", "nope", state=tmp_path)
        assert unknown.returncode == 2 and "unknown component 'nope'" in unknown.stderr

        logs = harness("logs", "product-service", state=tmp_path)
        assert "harness: starting product-service" in logs.stdout
        pids, ports = component_pids_and_ports((tmp_path / "runs" / "latest").resolve())
    finally:
        down = harness("down", state=tmp_path)
    assert down.returncode == 0, down.stderr
    assert "platform stopped" in down.stdout
    assert_all_gone(pids, ports)
    again = harness("status", state=tmp_path)
    assert again.returncode == 2 and "no platform running" in again.stderr


def _status(state: Path) -> dict:
    result = harness("status", "--json", state=state)
    return {row["name"]: row for row in json.loads(result.stdout or "[]")}


def _wait_for(state: Path, condition, within: float = 45) -> dict:
    return wait_until(
        lambda: (rows := _status(state)) and condition(rows) and rows,
        within=within,
        interval=0.5,
        what="the expected `harness status`",
    )


def test_control_api_requires_the_token(tmp_path):
    process = start_foreground(tmp_path, "--no-seed")
    run_dir = wait_ready(tmp_path, process)
    try:
        control = json.loads((run_dir / "control.json").read_text())
        assert oct((run_dir / "control.json").stat().st_mode & 0o777) == "0o600"
        assert httpx.get(control["url"] + "/api/components").status_code == 401
        wrong = {"Authorization": "Bearer wrong"}
        assert (
            httpx.post(control["url"] + "/api/components/kafka/kill", headers=wrong).status_code
            == 401
        )
        good = {"Authorization": f"Bearer {control['token']}"}
        assert httpx.get(control["url"] + "/api/components", headers=good).status_code == 200
    finally:
        stop(process, signal.SIGINT)
    assert os.path.exists(run_dir / "logs" / "prometheus.log")
