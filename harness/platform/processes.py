"""Child processes that cannot outlive the harness, and the ports they listen on.

Every child gets its own process group (so a stop reaches its helpers too) and, on
Linux, a parent-death signal: if the harness dies, even by SIGKILL, the kernel kills
the child. The parent-death signal fires when the *thread* that forked the child
exits, so the supervisor spawns every child from one long-lived thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import random
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[[], None] | None:
    """Resolve prctl once in the parent: the child may only run trivial code after fork."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    try:
        prctl = ctypes.CDLL(libc_name, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    sigkill = int(signal.SIGKILL)

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, sigkill, 0, 0, 0)

    return set_parent_death_signal


_SET_PARENT_DEATH_SIGNAL = _load_prctl()


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log: IO[bytes],
    cwd: Path | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start a child in its own process group, killed by the kernel if we die."""
    return subprocess.Popen(
        list(command),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        process_group=0,
        user=user,
        # Runs after the uid change, so the setting survives it (a uid change clears it).
        preexec_fn=_SET_PARENT_DEATH_SIGNAL,
        close_fds=True,
    )


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def take_stop_signals(handler: Callable[[int, FrameType | None], None]) -> None:
    """Handle SIGINT and SIGTERM with ``handler``, whatever state the parent left them in.

    A background job of a non-interactive shell starts with SIGINT ignored, and a signal
    the parent had blocked stays blocked across exec: either way Ctrl-C or `kill -INT`
    would never reach a long-running foreground command. Call from the main thread."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


def signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the child's process group; a group already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


# A component that is (re)starting runs this much nicer than the harness until it is
# ready. Python services burn seconds of CPU importing their libraries; on a shared host
# that would starve their healthy neighbours, which in Kubernetes sit behind their own
# CPU limits. Relative, so a harness started with `nice` keeps its components there.
STARTING_NICENESS_INCREMENT = 10
MAX_NICENESS = 19


def own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


def starting_niceness(base: int) -> int:
    return min(base + STARTING_NICENESS_INCREMENT, MAX_NICENESS)


def can_restore_priority() -> bool:
    """Lowering a process' priority is allowed to anyone; raising it back needs root."""
    return os.geteuid() == 0


def set_group_niceness(process: subprocess.Popen[bytes], niceness: int) -> None:
    """Set the niceness of the child's process group (helpers included)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.setpriority(os.PRIO_PGRP, process.pid, niceness)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something listens there. Like a server, ignore connections in TIME_WAIT."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE or exc.errno == errno.EACCES
    return False


# Listening ports are drawn from below the kernel's ephemeral range, which outgoing
# connections use: a port picked there could be taken by any client socket before the
# server binds it. Drawn at random, two concurrent pickers rarely collide; when they do,
# the start is retried with new ports (`PortTaken`).
LISTEN_PORT_FLOOR = 20000
ADDRESS_IN_USE = re.compile(r"address already in use|EADDRINUSE|\[Errno 98\]", re.IGNORECASE)


class PortTaken(Exception):
    """A server could not bind its port: another process took it first."""


def _ephemeral_floor() -> int:
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(low, LISTEN_PORT_FLOOR + 1000)


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Distinct ports that nothing listens on right now, outside the ephemeral range."""
    ceiling = _ephemeral_floor()
    chosen: list[int] = []
    candidates = random.sample(
        range(LISTEN_PORT_FLOOR, ceiling), k=min(ceiling - LISTEN_PORT_FLOOR, 64 * count)
    )
    for port in candidates:
        if not port_in_use(port, host):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise PortTaken(f"no {count} free ports between {LISTEN_PORT_FLOOR} and {ceiling}")


def address_in_use(log_text: str) -> bool:
    """Whether a server's output says its port was taken."""
    return ADDRESS_IN_USE.search(log_text) is not None


def retry_on_port_taken(start: Callable[[], T], attempts: int = 3) -> T:
    """Run a whole start again (it picks new free ports) when a port was taken."""
    for attempt in range(1, attempts + 1):
        try:
            return start()
        except PortTaken:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_until_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)
