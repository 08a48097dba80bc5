"""Where a platform keeps its state: ``.harness/`` with one folder per run.

``.harness/platform.json`` names the running platform (harness pid and run directory);
``.harness/runs/<id>/`` holds its logs, rendered configs, ``topology.json``,
``control.json`` (control API address and token, owner-only) and ``alerts.jsonl``.
PostgreSQL data lives in ``.harness/data/postgres`` so it survives between runs.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from harness.platform.processes import pid_alive

STATE_ENV = "HARNESS_STATE_DIR"


def state_dir(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get(STATE_ENV) or ".harness").resolve()


def new_run_dir(state: Path) -> Path:
    run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
    run_dir = state / "runs" / run_id
    run_dir.mkdir(parents=True)
    latest = state / "runs" / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(run_id)
    return run_dir


def postgres_data_dir(state: Path) -> Path:
    return state / "data" / "postgres"


@dataclass(frozen=True)
class RunningPlatform:
    pid: int
    run_dir: Path

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid)


def _pointer(state: Path) -> Path:
    return state / "platform.json"


def record_running(state: Path, run_dir: Path) -> None:
    state.mkdir(parents=True, exist_ok=True)
    document = {"pid": os.getpid(), "run_dir": str(run_dir)}
    _pointer(state).write_text(json.dumps(document) + "\n")


def clear_running(state: Path) -> None:
    """Forget the running platform, unless the pointer names another process by now."""
    current = running(state)
    if current is None or current.pid == os.getpid() or not current.alive:
        _pointer(state).unlink(missing_ok=True)


def running(state: Path) -> RunningPlatform | None:
    try:
        document = json.loads(_pointer(state).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return RunningPlatform(pid=int(document["pid"]), run_dir=Path(document["run_dir"]))


def component_urls(run_dir: Path) -> dict[str, str]:
    """``http://127.0.0.1:PORT`` of every component with a port, from the run's
    ``topology.json`` (FileNotFoundError while the platform is still starting)."""
    document = json.loads((run_dir / "topology.json").read_text())
    return {
        c["name"]: f"http://127.0.0.1:{c['port']}" for c in document["components"] if c.get("port")
    }
