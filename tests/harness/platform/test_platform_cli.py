"""`harness up/down/status/...` as a user runs them, in subprocesses.

A partial platform (PostgreSQL, the dev broker, one service, Prometheus, Alertmanager)
keeps these quick; the full platform is exercised in test_platform_running.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness.platform.processes import pid_alive, port_in_use

pytestmark = pytest.mark.slow

SUBSET = "product-service,prometheus,alertmanager"
ROOT = Path(__file__).resolve().parents[3]


def harness(*args: str, state: Path, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def start_foreground(state: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "up", "--free-ports", "--only", SUBSET,
         "--state-dir", str(state), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )  # fmt: skip


def wait_ready(state: Path, process: subprocess.Popen[str], within: float = 60) -> Path:
    deadline = time.monotonic() + within
    marker = state / "runs" / "latest" / "ready"
    while time.monotonic() < deadline:
        if marker.exists():
            return marker.parent.resolve()
        if process.poll() is not None:
            pytest.fail(
                f"harness up exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        time.sleep(0.1)
    process.kill()
    pytest.fail("platform not ready in time")


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
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if pid_alive(pid)]
        busy = [port for port in ports if port_in_use(port)]
        if not alive and not busy:
            return
        time.sleep(0.1)
    pytest.fail(f"left behind: pids {alive}, ports {busy}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_harness_leaves_no_child_and_no_port(tmp_path, sig):
    process = start_foreground(tmp_path)
    run_dir = wait_ready(tmp_path, process)
    pids, ports = component_pids_and_ports(run_dir)
    assert len(pids) == 5 and all(pid_alive(pid) for pid in pids)
    process.send_signal(sig)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopped" in output
    assert_all_gone(pids, ports)
    assert not (tmp_path / "platform.json").exists()


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
    assert error_lines[-1].startswith("harness up: error: port ")
    assert f"{base} (gateway) already in use" in error_lines[-1]
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
        time.sleep(1.0)  # the restart policy must leave a stopped component alone
        rows = {
            r["name"]: r for r in json.loads(harness("status", "--json", state=tmp_path).stdout)
        }
        assert (
            rows["product-service"]["state"] == "stopped" and rows["product-service"]["pid"] is None
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


def _wait_for(state: Path, condition, within: float = 45) -> dict:
    deadline = time.monotonic() + within
    rows: dict = {}
    while time.monotonic() < deadline:
        result = harness("status", "--json", state=state)
        rows = {row["name"]: row for row in json.loads(result.stdout or "[]")}
        if rows and condition(rows):
            return rows
        time.sleep(0.5)
    pytest.fail(f"condition not reached; last status: {json.dumps(rows, indent=1)}")


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
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert os.path.exists(run_dir / "logs" / "prometheus.log")
