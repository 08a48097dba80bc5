"""Ports without races: listening ports come from outside the kernel's ephemeral range,
and a start that lost a port to another process is retried on new free ports."""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.platform import processes
from harness.platform.readiness import HttpOk
from harness.platform.supervisor import Platform, PortConflict
from harness.platform.topology import Component, Ports, Topology
from tests.waiting import wait_until

pytestmark = pytest.mark.slow  # starts servers


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another process listens on."""
    (port,) = processes.free_ports(1)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        yield port


def test_free_ports_avoid_the_ephemeral_range_and_are_distinct() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = processes.free_ports(40)
    assert len(set(ports)) == 40
    assert all(processes.LISTEN_PORT_FLOOR <= p < low for p in ports)
    assert not any(processes.port_in_use(p) for p in ports)


def _one_server(tmp_path: Path, port: int, control_port: int) -> Topology:
    server = Component(
        name="web",
        command=(sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)),
        port=port,
        ready=HttpOk(f"http://127.0.0.1:{port}/"),
        metrics_path=None,
    )
    ports = Ports({"harness": control_port})
    return Topology((server,), ports, tmp_path, Path.cwd())


def test_a_component_that_cannot_bind_fails_the_start_as_a_port_conflict(
    tmp_path: Path, held_port: int
) -> None:
    (control_port,) = processes.free_ports(1)
    platform = Platform(_one_server(tmp_path, held_port, control_port))
    with pytest.raises(PortConflict, match=f"port {held_port} already in use"):
        platform.start(timeout=30)


def test_the_start_is_retried_on_new_ports_when_one_was_taken(
    tmp_path: Path, held_port: int
) -> None:
    tried: list[int] = []

    def start() -> Platform:
        port = held_port if not tried else processes.free_ports(1)[0]
        tried.append(port)
        (control_port,) = processes.free_ports(1)
        platform = Platform(_one_server(tmp_path / str(len(tried)), port, control_port))
        platform.start(timeout=30)
        return platform

    platform = processes.retry_on_port_taken(start)
    try:
        assert tried[0] == held_port and len(tried) == 2
        assert [row["state"] for row in platform.status()] == ["ready"]
    finally:
        platform.stop()


def test_a_starting_component_yields_the_cpu_until_it_is_ready(tmp_path: Path) -> None:
    """Its start-up must not starve ready neighbours (root can restore the priority)."""
    assert processes.can_restore_priority(), "the suite runs as root (tc, namespaces, nice)"
    (port, control_port) = processes.free_ports(2)
    slow_start = (
        f"import time, http.server; time.sleep(3); "
        f"http.server.HTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler)"
        ".serve_forever()"
    )
    server = Component(
        name="web",
        command=(sys.executable, "-c", slow_start),
        port=port,
        ready=HttpOk(f"http://127.0.0.1:{port}/"),
        metrics_path=None,
    )
    topology = Topology((server,), Ports({"harness": control_port}), tmp_path, Path.cwd())
    platform = Platform(topology)
    starter = threading.Thread(target=platform.start, kwargs={"timeout": 30})
    starter.start()
    try:

        def starting_pid() -> int | None:
            if platform.supervisor is None:
                return None
            rows = platform.status()
            return rows[0]["pid"] if rows and rows[0]["state"] == "starting" else None

        pid = wait_until(starting_pid, within=10, what="the component starting")
        base = processes.own_niceness()
        assert os.getpriority(os.PRIO_PROCESS, pid) == processes.starting_niceness(base)
        starter.join(30)
        assert platform.status()[0]["state"] == "ready"
        assert os.getpriority(os.PRIO_PROCESS, pid) == base
    finally:
        starter.join(30)
        platform.stop()
