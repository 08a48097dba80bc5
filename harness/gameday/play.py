"""Play a game day: warm-up under load, chaos rounds, cool-down, audit; then score,
report and gate. Ctrl-C stops cleanly: rollbacks applied, a partial report marked
incomplete."""

from __future__ import annotations

import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import httpx

from harness.audit import format_report, provider_ledger_from_topology, run_audit
from harness.gameday import exercises
from harness.gameday.platform_handle import PlatformHandle
from harness.gameday.profile import PROJECT_ROOT, GameProfile
from harness.gameday.progress import PhaseProgress
from harness.gameday.testdata import reset_test_data
from harness.platform.processes import take_stop_signals
from harness.platform.topology import SERVICES
from reports.record import GameRecord

DEFAULT_ADMIN_TOKEN = "dev-admin-token"  # noqa: S105 - the local platform's documented default


@dataclass(frozen=True)
class SeededFault:
    """A regression planted on purpose for the whole game (``SERVICE:ROUTE:LATENCY_MS``)."""

    service: str
    route: str
    latency_ms: int

    @classmethod
    def parse(cls, text: str) -> SeededFault:
        parts = text.split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            raise ValueError(f"--seed-fault {text!r}: expected SERVICE:ROUTE:LATENCY_MS")
        if parts[0] not in SERVICES:
            known = ", ".join(SERVICES)
            raise ValueError(f"--seed-fault {text!r}: unknown service {parts[0]!r} ({known})")
        return cls(parts[0], parts[1], int(parts[2]))

    def apply(self, platform: PlatformHandle) -> None:
        self._put(platform, [{"route": self.route, "latency_ms": self.latency_ms}])

    def clear(self, platform: PlatformHandle) -> None:
        self._put(platform, [])

    def _put(self, platform: PlatformHandle, rules: list[dict[str, object]]) -> None:
        if self.service not in SERVICES:
            raise ValueError(
                f"--seed-fault: unknown service {self.service!r} ({', '.join(SERVICES)})"
            )
        prefix = SERVICES[self.service][1]
        token = platform.env(self.service).get(f"{prefix}ADMIN_TOKEN", DEFAULT_ADMIN_TOKEN)
        response = httpx.put(
            platform.url(self.service) + "/admin/faults",
            json={"rules": rules},
            headers={"X-Admin-Token": token},
            timeout=10,
        )
        response.raise_for_status()


class StopSignals:
    """SIGINT and SIGTERM during a game: noted, then raised as KeyboardInterrupt where the
    game is. The note survives code that turns the interrupt into another exception (a
    database driver cancelling its query), so a stop is never mistaken for a finding."""

    def __init__(self, progress: PhaseProgress) -> None:
        self.progress = progress
        self.received: str | None = None
        self._stopping = False

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            take_stop_signals(self._handle)

    def hold(self) -> None:
        """From now on a signal only says the game is already stopping: the clean-up
        (load stop, rollbacks, the partial report) must not be cut short."""
        self._stopping = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self._stopping:
            self.progress.line(f"{name}: already stopping, finishing the report")
            return
        self.received = self.received or name
        raise KeyboardInterrupt


def git_revision() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except OSError:
        return "unknown"
    revision = result.stdout.strip() if result.returncode == 0 else "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=5, check=False,
    ).stdout.strip()  # fmt: skip
    return f"{revision}-dirty" if dirty and revision != "unknown" else revision


def new_run_id(profile: str) -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + profile + "-" + secrets.token_hex(2)


@dataclass
class GameDay:
    profile: GameProfile
    platform: PlatformHandle
    out_dir: Path
    progress: PhaseProgress
    seeded_fault: SeededFault | None = None
    record: GameRecord = field(init=False)
    signals: StopSignals = field(init=False)

    def __post_init__(self) -> None:
        self.signals = StopSignals(self.progress)
        self.record = GameRecord(
            run_id=self.out_dir.name,
            profile=self.profile.name,
            git_revision=git_revision(),
            started_at=time.time(),
            ended_at=time.time(),
            complete=False,
            prometheus_url=self.platform.url("prometheus"),
            slo_profile=self.platform.profile,
            alerts_log=str(self.platform.alerts_log),
        )
        if self.platform.profile != "game":
            self.record.notes.append(
                "the platform runs the default rule profile: burn-rate alerts use 30-day "
                "windows and will rarely fire within a game"
            )

    def play(self) -> GameRecord:
        """Run every phase; on Ctrl-C, stop where we are and keep what was collected."""
        self.signals.install()
        load: exercises.LoadRun | None = None
        probes_before = exercises.probe_counts(self.platform) if self.profile.probes else None
        try:
            self.record.notes.append(reset_test_data(self.platform))
            self.progress.line(self.record.notes[-1])
            if self.seeded_fault:
                self.progress.line(
                    f"seeded fault: {self.seeded_fault.latency_ms} ms on "
                    f"{self.seeded_fault.service} {self.seeded_fault.route}"
                )
                self.seeded_fault.apply(self.platform)
            if self.profile.load:
                load = exercises.start_load(
                    self.platform, self.profile.load, self.out_dir / "load",
                    duration_s=self.profile.expected_duration_s(round_s=90) + 120,
                )  # fmt: skip
            self.progress.wait("warm-up", self.profile.warmup_s, self._status(load))
            self.record.warmup_ended_at = time.time()
            for index, game_round in enumerate(self.profile.rounds):
                if index:
                    self.progress.wait(
                        "pause", self.profile.pause_between_rounds_s, self._status(load)
                    )
                self.progress.line(
                    f"round {index + 1}/{len(self.profile.rounds)}: {game_round.name}"
                )
                try:
                    played = exercises.play_round(
                        self.platform, game_round, self.out_dir / "chaos", self.progress
                    )
                except exercises.RoundInterrupted as stopped:
                    self.record.rounds.append(stopped.record)
                    raise
                self.record.rounds.append(played)
                if self.seeded_fault:  # the round's rollback clears every fault rule
                    self.seeded_fault.apply(self.platform)
                last = self.record.rounds[-1]
                self.progress.line(
                    f"  {game_round.name}: {last.chaos_status}"
                    + (" (deviated)" if last.deviated else "")
                )
            self.progress.wait("cool-down", self.profile.cooldown_s, self._status(load))
            self.record.complete = True
        except KeyboardInterrupt:
            self._stopping("interrupted: rollbacks applied, collecting a partial report")
        finally:
            if load is not None:
                self.record.load = load.stop()
            if self.seeded_fault:
                self.seeded_fault.clear(self.platform)
            if probes_before is not None:
                self.record.probes = exercises.probe_summary(self.platform, probes_before)
        self.record.ended_at = time.time()
        self._audit()
        return self.record

    def _status(self, load: exercises.LoadRun | None) -> exercises.StatusLine | None:
        return load.status if load is not None else None

    def _stopping(self, message: str) -> None:
        """The operator asked to stop (Ctrl-C, or SIGTERM as a CI cancel sends): the game
        is incomplete, which fails the gate. Further signals must not cut the clean-up
        (load stop, rollbacks, the partial report) short."""
        self.progress.line(message)
        self.record.complete = False
        received = self.signals.received or "a signal"
        self.record.notes.append(f"stopped by {received}: the game is incomplete")
        self.signals.hold()

    def _audit(self) -> None:
        self.progress.line("integrity audit: waiting for in-flight orders to settle")
        settle = self.profile.settle_timeout_s if self.record.complete else 20
        try:
            report = run_audit(
                self.platform.database_urls(),
                settle_timeout_s=settle,
                ledger=provider_ledger_from_topology(self.platform.run_dir / "topology.json"),
                since=datetime.fromtimestamp(self.record.started_at, UTC),  # this game's
            )
        except KeyboardInterrupt:
            self._stopping("interrupted during the audit: collecting a partial report")
            self.record.audit = {"passed": False, "error": "interrupted", "invariants": []}
            return
        except Exception as exc:  # a broken database is a finding, not a crash
            if self.signals.received:  # the stop surfaced as the driver's own error
                self._stopping("interrupted during the audit: collecting a partial report")
                self.record.audit = {"passed": False, "error": "interrupted", "invariants": []}
                return
            self.record.notes.append(f"integrity audit could not run: {exc}")
            self.record.audit = {"passed": False, "error": str(exc), "invariants": []}
            return
        self.record.audit = report.to_dict()
        for line in format_report(report).splitlines():
            self.progress.line("  " + line)
