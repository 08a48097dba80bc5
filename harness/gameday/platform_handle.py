"""The platform a game day plays against: attach to a running one, or start one detached
(with the game-day rule profile) and take it down at the end."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.audit import database_urls_from_topology
from harness.platform import lifecycle, state
from harness.platform.control import ControlClient


class PlatformUnavailable(Exception):
    pass


@dataclass
class PlatformHandle:
    state_dir: Path
    run_dir: Path
    started_here: bool
    topology: dict[str, Any]
    urls: dict[str, str]

    @classmethod
    def attach_or_start(
        cls, state_dir: Path, *, port_args: list[str], timeout: float, echo: lifecycle.Echo
    ) -> PlatformHandle:
        current = state.running(state_dir)
        started_here = False
        if current is None or not current.alive:
            echo("starting the platform (game-day rule profile)...")
            argv = [
                *(sys.executable, "-m", "harness", "up", "--detach", "--profile", "game"),
                *("--state-dir", str(state_dir), "--timeout", str(timeout), *port_args),
            ]
            result = subprocess.run(argv, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise PlatformUnavailable(
                    (result.stderr or result.stdout).strip() or "harness up failed"
                )
            current = state.running(state_dir)
            started_here = True
            if current is None:
                raise PlatformUnavailable("harness up reported success but no platform is running")
        else:
            echo(f"using the running platform (run {current.run_dir})")
        topology = json.loads((current.run_dir / "topology.json").read_text())
        urls = state.component_urls(current.run_dir)
        return cls(state_dir, current.run_dir, started_here, topology, urls)

    @property
    def profile(self) -> str:
        return str(self.topology.get("profile", "default"))

    def url(self, component: str) -> str:
        if component not in self.urls:
            raise PlatformUnavailable(f"the platform has no {component}")
        return self.urls[component]

    def has(self, component: str) -> bool:
        return any(c["name"] == component for c in self.topology["components"])

    def control(self) -> ControlClient:
        return ControlClient.from_run_dir(self.run_dir)

    def database_urls(self) -> dict[str, str]:
        return database_urls_from_topology(self.run_dir / "topology.json")

    @property
    def alerts_log(self) -> Path:
        return self.run_dir / "alerts.jsonl"

    def env(self, component: str) -> dict[str, str]:
        for c in self.topology["components"]:
            if c["name"] == component:
                return dict(c.get("env") or {})
        return {}

    def down(self, echo: lifecycle.Echo) -> None:
        if self.started_here:
            lifecycle.down(self.state_dir, echo)
