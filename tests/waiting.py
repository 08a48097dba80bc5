"""Waiting in tests: on a condition, with a deadline, and a message that says what did
not happen (and the last value seen) when the deadline passes."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx

from harness.platform.processes import PortTaken, address_in_use, free_ports, retry_on_port_taken

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None], *, within: float, what: str, interval: float = 0.2
) -> T:
    """Call ``condition`` until it returns something truthy; return that value.

    Fails the test with ``what`` and the last value when ``within`` seconds pass.
    """
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: did not happen within {within:g}s (last: {value!r})")
        time.sleep(interval)


async def await_until(
    condition: Callable[[], Awaitable[T | None]],
    *,
    within: float,
    what: str,
    interval: float = 0.05,
) -> T:
    """``wait_until`` for coroutines."""
    deadline = time.monotonic() + within
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: did not happen within {within:g}s (last: {value!r})")
        await asyncio.sleep(interval)


def start_on_free_port(
    spawn: Callable[[int], subprocess.Popen[bytes]],
    ready: Callable[[int], bool],
    log: Path,
    *,
    what: str,
    within: float = 30,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server process on a free port and wait until ``ready(port)``.

    A server that lost its port to another process (it says so in ``log``) is started
    again on a new port: the pick-then-bind race is retried, never ignored.
    """

    def attempt() -> tuple[subprocess.Popen[bytes], int]:
        (port,) = free_ports(1)
        process = spawn(port)
        deadline = time.monotonic() + within
        while not ready(port):
            if process.poll() is not None:
                output = log.read_text(errors="replace")
                if address_in_use(output):
                    raise PortTaken(f"{what}: port {port} taken")
                raise AssertionError(f"{what} exited with {process.returncode}:\n{output[-3000:]}")
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                output = log.read_text(errors="replace")
                raise AssertionError(f"{what} not ready within {within:g}s:\n{output[-3000:]}")
            time.sleep(0.1)
        return process, port

    return retry_on_port_taken(attempt)


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 right now."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def holds_for(
    condition: Callable[[], object], *, seconds: float, what: str, interval: float = 0.1
) -> None:
    """Check that ``condition`` stays truthy for ``seconds``: for what must NOT happen
    (a stopped component that must not be restarted), observed the whole time."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if not value:
            raise AssertionError(f"{what}: stopped holding (last: {value!r})")
        if time.monotonic() > deadline:
            return
        time.sleep(interval)
