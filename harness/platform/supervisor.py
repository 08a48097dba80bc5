"""The supervisor: start components in dependency order, keep them running, stop them.

It runs an asyncio loop in one dedicated thread. Every child is spawned from that
thread (the kernel's parent-death signal is tied to the spawning thread), and the
control API, the harness metrics and the alert receiver are served from the same loop,
so all state changes happen in one place without locks.

Restart policy: like Kubernetes' ``restartPolicy: Always``: a component that exits is
started again after an exponential backoff (0.5 s doubling to 30 s, reset once it has
been up for a minute). A component started with a value another component published
(the dev broker's address) is restarted when that value changes, because a restarted
dev broker listens on a new port. A paused component (SIGSTOP) keeps its port.

CPU isolation: a (re)starting component runs 10 nicer than the harness until it is ready, so its
start-up (seconds of imports for a Python service) does not starve the ready components
on the same cores, as per-pod CPU limits would prevent in Kubernetes (root only: raising
the priority back needs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import string
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen
from typing import IO, Any, Literal, TypeVar

import uvicorn

from harness.platform import processes
from harness.platform.readiness import NotReady
from harness.platform.topology import Component, Topology, default_environment

State = Literal["pending", "starting", "ready", "paused", "backoff", "stopped", "failed"]
Progress = Callable[[str, str], None]  # (component, message)
T = TypeVar("T")

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0  # seconds up before the backoff resets
STARTUP_CRASH_LIMIT = 3  # exits before first readiness that abort `start`
# How long a `start` action waits for readiness. A crash loop fails it at once (above);
# this bounds a start that hangs. Generous, because a starting component yields the CPU
# (niceness) and on a busy 2-core host its imports can take tens of seconds.
START_WAIT_S = 90.0
STOP_GRACE = 8.0
POLL = 0.1
LOG_TAIL_LINES = 20


class PlatformError(Exception):
    """The platform could not start; the message names the components and shows logs."""


class PortConflict(PlatformError, processes.PortTaken):
    """A component could not bind its port; a start on other ports may succeed."""


class ActionError(Exception):
    """A control action that cannot apply (unknown component, nothing to resume...)."""


@dataclass
class Runtime:
    """The live side of one component."""

    component: Component
    log_path: Path
    state: State = "pending"
    process: Popen[bytes] | None = None
    desired_running: bool = True
    restarts: int = 0
    startup_crashes: int = 0
    started_at: float | None = None  # wall clock of the current process' spawn
    ready_at: float | None = None
    last_exit: int | None = None
    reason: str = ""  # why it is not ready, last seen
    spawned_env: dict[str, str] = field(default_factory=dict)
    backoff: float = INITIAL_BACKOFF
    ever_ready: bool = False
    ready_event: asyncio.Event = field(default_factory=asyncio.Event)
    generation: int = 0  # bumps on every spawn; stale readiness waits notice
    stopping: bool = False

    def snapshot(self) -> dict[str, Any]:
        alive = self.process is not None and self.process.poll() is None
        return {
            "name": self.component.name,
            "pid": self.process.pid if alive and self.process else None,
            "port": self.component.port,
            "state": self.state,
            "ready": self.state == "ready",
            "restarts": self.restarts,
            "started_at": self.started_at,
            "uptime_s": round(time.time() - self.started_at, 1)
            if alive and self.started_at
            else None,
            "last_exit": self.last_exit,
            "reason": "" if self.state == "ready" else self.reason,
            "log": str(self.log_path),
        }


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_bytes()[-16384:].decode(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


START_MARKER = b"--- harness: starting "


def last_start_output(path: Path) -> str:
    """What the component printed since its latest start (its log spans restarts)."""
    try:
        data = path.read_bytes()[-65536:]
    except FileNotFoundError:
        return ""
    return data[data.rfind(START_MARKER) + 1 :].decode(errors="replace")


class Supervisor:
    def __init__(self, topology: Topology, token: str, progress: Progress | None = None) -> None:
        self.topology = topology
        self.token = token
        self.progress: Progress = progress or (lambda name, message: None)
        self.facts: dict[str, str] = dict(topology.facts)
        (topology.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.runtimes = {
            c.name: Runtime(c, topology.run_dir / "logs" / f"{c.name}.log")
            for c in topology.components
        }
        self._logs: dict[str, IO[bytes]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: uvicorn.Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._failure: asyncio.Future[None] | None = None
        self._closed = False
        # Starting components yield the CPU to ready ones (only where their priority can
        # be raised again once they are ready).
        self._deprioritise_starts = processes.can_restore_priority()
        self._niceness = processes.own_niceness()
        from harness.platform.receiver import AlertLog

        self.alerts = AlertLog(topology.run_dir / "alerts.jsonl")

    # ----------------------------------------------------------- lifecycle

    async def start(self, ready_within: float) -> None:
        self._failure = asyncio.get_running_loop().create_future()
        await self._serve_control_api()
        self._spawn_task(self._monitor())
        for rt in self.runtimes.values():
            self._spawn_task(self._bring_up(rt))
        all_ready: asyncio.Future[Any] = asyncio.gather(
            *(rt.ready_event.wait() for rt in self.runtimes.values())
        )
        waiting: set[asyncio.Future[Any]] = {all_ready, self._failure}
        await asyncio.wait(waiting, timeout=ready_within, return_when="FIRST_COMPLETED")
        if self._failure.done():
            all_ready.cancel()
            raise self._failure.exception() or PlatformError("start failed")
        if not all_ready.done():
            all_ready.cancel()
            raise PlatformError(self._not_ready_report(f"not ready after {ready_within:.0f}s"))
        self.write_topology()

    async def stop(self) -> None:
        """Stop in reverse dependency order: dependents first, in parallel per layer."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        remaining = dict(self.runtimes)
        while remaining:
            needed = {dep for rt in remaining.values() for dep in rt.component.depends_on}
            layer = [rt for name, rt in remaining.items() if name not in needed]
            if not layer:  # a cycle cannot happen, but never loop forever
                layer = list(remaining.values())
            await asyncio.gather(*(self._terminate(rt) for rt in layer))
            for rt in layer:
                rt.state = "stopped"
                remaining.pop(rt.component.name)
        for log in self._logs.values():
            log.close()
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server_task, 5)

    def snapshot(self) -> list[dict[str, Any]]:
        return [rt.snapshot() for rt in self.runtimes.values()]

    def write_topology(self) -> None:
        document = {
            "run_dir": str(self.topology.run_dir),
            "control_url": f"http://127.0.0.1:{self.topology.control_port}",
            "profile": self.topology.profile,
            "facts": self.facts,
            "components": [
                {
                    "name": rt.component.name,
                    "command": list(rt.component.command),
                    "port": rt.component.port,
                    "pid": rt.process.pid if rt.process else None,
                    "depends_on": list(rt.component.depends_on),
                    "env": rt.spawned_env,
                    "log": str(rt.log_path),
                }
                for rt in self.runtimes.values()
            ],
        }
        path = self.topology.run_dir / "topology.json"
        path.write_text(json.dumps(document, indent=2) + "\n")

    # ----------------------------------------------------------- control actions

    def runtime(self, name: str) -> Runtime:
        try:
            return self.runtimes[name]
        except KeyError:
            raise ActionError(f"unknown component {name!r}") from None

    async def act(self, name: str, action: str, wait: float = START_WAIT_S) -> dict[str, Any]:
        rt = self.runtime(name)
        process_alive = rt.process is not None and rt.process.poll() is None
        if action == "kill":
            if not process_alive or rt.process is None:
                raise ActionError(f"{name} is not running")
            processes.signal_group(rt.process, signal.SIGKILL)
            # Return once the death is visible: a caller that checks health right after
            # a kill must not see the old process' "ready".
            if await _wait_exit(rt.process, 5.0):
                self._handle_exit(rt, rt.process)
        elif action == "stop":
            rt.desired_running = False
            await self._terminate(rt)
            rt.state = "stopped"
        elif action == "start":
            rt.desired_running = True
            if not process_alive:
                await self._launch(rt)
                await self._wait_ready(rt, deadline=time.monotonic() + wait)
        elif action == "pause":
            if not process_alive or rt.process is None:
                raise ActionError(f"{name} is not running")
            processes.signal_group(rt.process, signal.SIGSTOP)
            rt.state = "paused"
        elif action == "resume":
            if rt.state != "paused" or rt.process is None:
                raise ActionError(f"{name} is not paused")
            processes.signal_group(rt.process, signal.SIGCONT)
            rt.state = "ready" if rt.ready_event.is_set() else "starting"
        else:
            raise ActionError(f"unknown action {action!r}")
        return rt.snapshot()

    # ----------------------------------------------------------- internals

    def _spawn_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_control_api(self) -> None:
        from harness.platform.controlapi import build_app

        config = uvicorn.Config(
            build_app(self),
            host="127.0.0.1",
            port=self.topology.control_port,
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._server_task = asyncio.get_running_loop().create_task(self._server.serve())
        while not self._server.started:
            if self._server_task.done():
                raise PortConflict(
                    f"harness control API could not listen on port {self.topology.control_port}"
                )
            await asyncio.sleep(0.02)

    async def _bring_up(self, rt: Runtime) -> None:
        for dep in rt.component.depends_on:
            await self.runtimes[dep].ready_event.wait()
        await self._launch(rt)
        await self._wait_ready(rt, deadline=None)

    def _render_env(self, component: Component) -> dict[str, str]:
        formatter = string.Formatter()
        rendered = {}
        for key, value in component.env.items():
            rendered[key] = formatter.vformat(value, (), _Facts(self.facts))
        return rendered

    async def _launch(self, rt: Runtime) -> None:
        component = rt.component
        rt.state = "starting"
        rt.ready_event.clear()
        rt.generation += 1
        rt.process = None  # the monitor ignores the component until the new process exists
        self.progress(component.name, "starting")
        if component.prepare is not None:
            await asyncio.to_thread(component.prepare, self.topology)
        log = self._logs.get(component.name)
        if log is None:
            log = self._logs[component.name] = rt.log_path.open("ab")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        log.write(START_MARKER + f"{component.name} at {stamp} ---\n".encode())
        log.flush()
        rt.spawned_env = self._render_env(component)
        env = default_environment() | rt.spawned_env
        rt.process = processes.spawn(
            component.command,
            env=env,
            log=log,
            cwd=self.topology.project_root,
            user=component.user,
        )
        if self._deprioritise_starts:
            processes.set_group_niceness(rt.process, processes.starting_niceness(self._niceness))
        rt.started_at = time.time()
        rt.ready_at = None
        self.write_topology()  # keep "what runs where" current, pids included

    async def _wait_ready(self, rt: Runtime, deadline: float | None) -> None:
        generation = rt.generation
        while True:
            if rt.generation != generation or rt.process is None:
                return  # respawned meanwhile: that spawn has its own wait
            if rt.process.poll() is not None:
                if not rt.ever_ready and processes.address_in_use(last_start_output(rt.log_path)):
                    rt.state = "failed"
                    rt.reason = f"port {rt.component.port} already in use"
                    self._fail(
                        self._not_ready_report(f"{rt.component.name}: {rt.reason}"), PortConflict
                    )
                    return
                if not rt.ever_ready:
                    rt.startup_crashes += 1
                    if rt.startup_crashes >= STARTUP_CRASH_LIMIT:
                        rt.state = "failed"
                        rt.reason = f"exited with code {rt.process.returncode} before it was ready"
                        self._fail(self._not_ready_report(f"{rt.component.name} {rt.reason}"))
                return  # the monitor restarts it
            try:
                facts = await rt.component.ready.check()
            except NotReady as exc:
                rt.reason = str(exc)
            else:
                if rt.state == "starting":
                    self._became_ready(rt, facts)
                return
            if deadline is not None and time.monotonic() > deadline:
                raise ActionError(f"{rt.component.name} not ready: {rt.reason}")
            await asyncio.sleep(POLL)

    def _fail(self, report: str, error: type[PlatformError] = PlatformError) -> None:
        if self._failure is not None and not self._failure.done():
            self._failure.set_exception(error(report))

    def _became_ready(self, rt: Runtime, facts: dict[str, str]) -> None:
        if self._deprioritise_starts and rt.process is not None:
            processes.set_group_niceness(rt.process, self._niceness)
        rt.state = "ready"
        rt.ready_at = time.time()
        rt.ever_ready = True
        rt.reason = ""
        rt.ready_event.set()
        took = rt.ready_at - (rt.started_at or rt.ready_at)
        self.progress(rt.component.name, f"ready in {took:.1f}s")
        changed = {k: v for k, v in facts.items() if self.facts.get(k) != v}
        self.facts.update(facts)
        if changed and not self._closed:
            self._restart_stale_dependents()
            self.write_topology()

    def _restart_stale_dependents(self) -> None:
        for other in self.runtimes.values():
            alive = other.process is not None and other.process.poll() is None
            if alive and other.spawned_env != self._render_env(other.component):
                self.progress(other.component.name, "restarting: a dependency moved")
                self._spawn_task(self._restart(other, reason="dependency moved"))

    async def _restart(self, rt: Runtime, reason: str) -> None:
        await self._terminate(rt)
        rt.restarts += 1
        rt.reason = reason
        await self._launch(rt)
        await self._wait_ready(rt, deadline=None)

    async def _terminate(self, rt: Runtime) -> None:
        process = rt.process
        if process is None:
            return
        rt.stopping = True
        try:
            if process.poll() is None:
                processes.signal_group(process, signal.SIGCONT)
                processes.signal_group(process, rt.component.stop_signal)
                await _wait_exit(process, STOP_GRACE)
            processes.signal_group(process, signal.SIGKILL)
            await _wait_exit(process, 10.0)
            rt.last_exit = process.returncode
        finally:
            rt.stopping = False
        rt.state = "stopped"  # the monitor leaves stopped components alone
        rt.ready_event.clear()

    async def _monitor(self) -> None:
        """Notice exits and apply the restart policy; reset backoff once stable."""
        while not self._closed:
            now = time.time()
            for rt in self.runtimes.values():
                process = rt.process
                if process is None or rt.stopping:
                    continue
                if process.poll() is None:
                    stable = rt.ready_at is not None and now - rt.ready_at > STABLE_AFTER
                    if stable:
                        rt.backoff = INITIAL_BACKOFF
                    continue
                self._handle_exit(rt, process)
            await asyncio.sleep(POLL)

    def _handle_exit(self, rt: Runtime, process: Popen[bytes]) -> None:
        """A component's process has exited: apply the restart policy (once per exit)."""
        if rt.state in ("backoff", "stopped", "failed"):
            return
        rt.last_exit = process.returncode
        rt.ready_event.clear()
        if rt.desired_running and rt.component.restart == "always":
            rt.state = "backoff"
            rt.reason = f"exited with code {process.returncode}"
            self.progress(rt.component.name, f"{rt.reason}; restarting in {rt.backoff}s")
            self._spawn_task(self._restart_after_backoff(rt))
        else:
            rt.state = "stopped"

    async def _restart_after_backoff(self, rt: Runtime) -> None:
        delay = rt.backoff
        rt.backoff = min(rt.backoff * 2, MAX_BACKOFF)
        await asyncio.sleep(delay)
        if self._closed or not rt.desired_running or rt.state != "backoff":
            return
        rt.restarts += 1
        await self._launch(rt)
        await self._wait_ready(rt, deadline=None)

    def _not_ready_report(self, headline: str) -> str:
        lines = [headline]
        for rt in self.runtimes.values():
            if rt.state == "ready":
                continue
            if rt.state == "pending":
                waiting = [d for d in rt.component.depends_on if not self.runtimes[d].ever_ready]
                lines.append(f"- {rt.component.name}: waiting for {', '.join(waiting)}")
                continue
            check = rt.component.ready.describe()
            lines.append(f"- {rt.component.name} ({rt.state}): {rt.reason or check}")
            lines.append(f"  last lines of {rt.log_path}:")
            lines.extend("    " + line for line in tail(rt.log_path).splitlines())
        return "\n".join(lines)


async def _wait_exit(process: Popen[bytes], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return True
        await asyncio.sleep(0.05)
    return process.poll() is not None


class _Facts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise PlatformError(f"no value for {{{key}}}: nothing published it")


class Platform:
    """The supervisor on its own thread, usable from synchronous code and tests.

    >>> with Platform(build_topology(options)) as platform:  # doctest: +SKIP
    ...     platform.status()
    """

    def __init__(
        self,
        topology: Topology,
        token: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.topology = topology
        self.token = token or secrets.token_urlsafe(24)
        self._progress = progress
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.supervisor: Supervisor | None = None

    @property
    def run_dir(self) -> Path:
        return self.topology.run_dir

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.topology.control_port}"

    def url(self, component: str) -> str:
        return self.topology.url(component)

    def start(self, progress: Progress | None = None, timeout: float = 90.0) -> None:
        if progress is not None:
            self._progress = progress
        self.topology.run_dir.mkdir(parents=True, exist_ok=True)
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run_loop, args=(ready,), name="harness-supervisor", daemon=True
        )
        self._thread.start()
        ready.wait()
        self.supervisor = self._call(self._make_supervisor())
        try:
            self._call(self.supervisor.start(timeout))
        except BaseException:
            self.stop()
            raise
        self._write_control_file()

    async def _make_supervisor(self) -> Supervisor:
        return Supervisor(self.topology, self.token, self._progress)

    def stop(self) -> None:
        if self._loop is None:
            return
        if self.supervisor is not None:
            self._call(self.supervisor.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None
        (self.run_dir / "control.json").unlink(missing_ok=True)

    def status(self) -> list[dict[str, Any]]:
        assert self.supervisor is not None, "platform not started"
        supervisor = self.supervisor

        async def snapshot() -> list[dict[str, Any]]:
            return supervisor.snapshot()

        return self._call(snapshot())

    def act(self, component: str, action: str) -> dict[str, Any]:
        assert self.supervisor is not None, "platform not started"
        return self._call(self.supervisor.act(component, action))

    def __enter__(self) -> Platform:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run_loop(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        ready.set()
        self._loop.run_forever()
        self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _write_control_file(self) -> None:
        """Where and how to reach the control API: read by the CLI and chaos tooling."""
        path = self.run_dir / "control.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"url": self.control_url, "token": self.token, "pid": os.getpid()}, handle)
