"""A stopped game never passes: SIGINT or SIGTERM (what a CI cancel sends) in any phase
stops the whole game, applies rollbacks, stops the load and writes a partial report
marked incomplete, which fails the gate.

The games share one platform (started detached with the game-day rule profile; each
game attaches to it) and play tiny profiles shaped so the phase under test lasts long
enough to be hit: the signal is sent once the game says it entered that phase.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from chaos_experiments.extension.shop import Shopper
from harness.platform import state
from tests.waiting import wait_until

# A platform, Locust and chaos; the games share one platform, so one worker plays them.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("stop-games")]

ROOT = Path(__file__).resolve().parents[3]
ROUND: dict[str, Any] = {
    "name": "slow products",
    "experiment": "chaos_experiments/local/product-latency.yaml",
    "configuration": {"fault_duration_s": 3, "traffic_duration_s": 4},
}
LONG_ROUND: dict[str, Any] = {
    **ROUND,
    "configuration": {"fault_duration_s": 30, "traffic_duration_s": 31},
}
QUICK = {"warmup_s": 2, "cooldown_s": 2, "pause_between_rounds_s": 2, "settle_timeout_s": 60}
# phase -> (profile overrides, the progress line that says the phase is on)
PHASES: dict[str, tuple[dict[str, Any], str]] = {
    "warm-up": ({"warmup_s": 60, "rounds": [ROUND]}, "warm-up: 60s"),
    "fault": ({"rounds": [LONG_ROUND]}, "action slow-down-products: succeeded"),
    "pause": ({"rounds": [ROUND, ROUND], "pause_between_rounds_s": 60}, "pause: 60s"),
    "cool-down": ({"rounds": [], "cooldown_s": 60}, "cool-down: 60s"),
    # Long enough a cool-down to freeze the broker and place an order in it.
    "audit": ({"rounds": [], "cooldown_s": 10}, "integrity audit: waiting"),
}
GAME_TIMEOUT_S = 240


def harness(*args: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args, "--state-dir", str(state_dir)],
        capture_output=True, text=True, timeout=180, cwd=ROOT, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def shared_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("stop-games")
    up = harness("up", "--detach", "--free-ports", "--profile", "game", state_dir=state_dir)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield state_dir
    finally:
        harness("resume", "kafka", state_dir=state_dir)
        down = harness("down", state_dir=state_dir)
        assert down.returncode == 0, down.stderr


def _profile(tmp_path: Path, phase: str) -> Path:
    overrides, _ = PHASES[phase]
    profile = {
        "name": f"stop-in-{phase}",
        "load": {"users": 2, "spawn_rate": 2},
        "probes": True,
        **QUICK,
        **overrides,
    }
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


class Game:
    """`harness gameday` in a subprocess, its progress lines collected as they come."""

    def __init__(self, profile: Path, state_dir: Path, reports: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness", "gameday", "--profile", str(profile),
             "--state-dir", str(state_dir), "--reports-dir", str(reports), "--baseline", "none"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def saw(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def wait_for_line(self, text: str, within: float) -> None:
        def seen() -> bool:
            if self.process.poll() is not None and not self.saw(text):
                raise AssertionError(f"the game ended before {text!r}:\n" + self.output())
            return self.saw(text)

        wait_until(seen, within=within, what=f"the game printing {text!r}")

    def finish(self) -> int:
        code = self.process.wait(GAME_TIMEOUT_S)
        self._reader.join(10)
        return code

    def output(self) -> str:
        return "\n".join(self.lines[-60:])


def _locust_of(reports: Path) -> list[int]:
    """Locust processes writing into this game's report folder (there must be none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "locust" in command and str(reports) in command:
            found.append(int(entry.name))
    return found


def _place_an_order(run_dir: Path) -> None:
    shopper = Shopper(state.component_urls(run_dir)["gateway"])
    try:
        shopper.register_and_login()
        shopper.place_order(shopper.product_in_stock())
    finally:
        shopper.close()


def _no_fault_left(run_dir: Path) -> None:
    urls = state.component_urls(run_dir)
    rules = httpx.get(
        urls["product-service"] + "/admin/faults",
        headers={"X-Admin-Token": "dev-admin-token"},
        timeout=5,
    ).json()["rules"]
    assert rules == [], f"fault rules left behind: {rules}"
    control = json.loads((run_dir / "control.json").read_text())
    metrics = httpx.get(control["url"] + "/metrics", timeout=5).text
    assert 'harness_chaos_active{experiment="product-latency"} 1.0' not in metrics


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("phase", list(PHASES))
def test_a_signal_in_any_phase_stops_the_game_and_fails_the_gate(
    phase: str, sig: signal.Signals, shared_platform: Path, tmp_path: Path
) -> None:
    reports = tmp_path / "runs"
    platform = state.running(shared_platform)
    assert platform is not None
    game = Game(_profile(tmp_path, phase), shared_platform, reports)
    try:
        if phase == "audit":
            # Hold the saga: an order placed while the broker is frozen stays PENDING, so
            # the audit waits for it to settle.
            game.wait_for_line("cool-down: 10s", within=60)
            assert harness("pause", "kafka", state_dir=shared_platform).returncode == 0
            _place_an_order(platform.run_dir)
        game.wait_for_line(PHASES[phase][1], within=90)
        time.sleep(1)  # well inside the phase, which lasts much longer
        game.process.send_signal(sig)
        code = game.finish()
    finally:
        if game.process.poll() is None:
            game.process.kill()
        harness("resume", "kafka", state_dir=shared_platform)

    output = game.output()
    assert code == 1, output
    reports_found = sorted(reports.glob("*/report.json"))
    assert len(reports_found) == 1, output
    report = json.loads(reports_found[0].read_text())
    assert report["complete"] is False, output
    assert report["evaluation"]["verdict"] == "fail"
    assert any("interrupted" in r for r in report["evaluation"]["reasons"]), output
    if phase == "fault":
        (played,) = report["rounds"]
        assert played["chaos_status"] == "interrupted"
        assert played["rollbacks_applied"] is True
        # The experiment's background traffic stopped with the game, not at its end.
        journal = json.loads(Path(played["journal"]).read_text())
        (traffic,) = [r for r in journal["run"] if r["activity"].get("background")]
        assert traffic["duration"] < LONG_ROUND["configuration"]["traffic_duration_s"] / 2
        chaos = next(o for o in report["evaluation"]["objectives"] if o["kind"] == "chaos")
        assert chaos["status"] == "fail"
    assert not game.saw("round 2/2"), "the game went on after the signal"
    # The load stopped, and nothing the game did is left on the platform.
    assert _locust_of(reports) == []
    _no_fault_left(platform.run_dir)
