"""Run one experiment on chaoslib the way the game day needs it.

- Rollbacks always run: on success, on a failed or aborted method, on a deviation,
  on Ctrl-C and when a safeguard aborts (chaoslib's ``always`` rollback strategy). A
  Ctrl-C that arrives while rollbacks run is held back until they are done.
- ``harness_chaos_active{experiment}`` is 1 from the first fault-injecting action until
  the fault is lifted (a repair action completes, or, when the method holds none, as
  with a kill, the method ends), and 0 again after rollbacks whatever happened.
- The journal goes into the platform's run directory, under ``chaos/``.

Run it from the main thread: chaoslib turns signals into interruptions there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from chaoslib import exit as chaoslib_exit
from chaoslib.experiment import run_experiment
from chaoslib.run import RunEventHandler
from chaoslib.types import Strategy

from chaos_experiments import catalog
from chaos_experiments.extension.actions import (
    allow_background_traffic,
    stop_background_traffic,
)
from harness.platform import state

SETTINGS: dict[str, Any] = {"runtime": {"rollbacks": {"strategy": "always"}}}

# Activities (by function name) that put a fault in place, and those that lift one.
INJECTING = frozenset(
    {
        "kill_component", "stop_component", "pause_component", "stop_database",
        "stop_broker", "pause_broker", "inject_route_fault", "make_payment_provider_slow",
        "make_payment_provider_fail", "make_payment_provider_decline",
        "make_payment_provider_unreachable",
        # chaostoolkit-kubernetes
        "terminate_pods", "scale_deployment", "deny_all_ingress",
    }
)  # fmt: skip
LIFTING = frozenset(
    {
        "start_component", "resume_component", "start_database", "start_broker",
        "resume_broker", "clear_route_faults", "clear_all_faults", "restore_platform",
        "remove_deny_all_ingress",
    }
)  # fmt: skip

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PlatformEndpoints:
    """Where the running platform answers; filled into every experiment's configuration."""

    run_dir: Path
    gateway_url: str
    prometheus_url: str
    control_url: str
    control_token: str

    @classmethod
    def from_run_dir(cls, run_dir: Path) -> PlatformEndpoints:
        control = json.loads((run_dir / "control.json").read_text())
        urls = state.component_urls(run_dir)
        return cls(
            run_dir=run_dir,
            gateway_url=urls["gateway"],
            prometheus_url=urls["prometheus"],
            control_url=control["url"],
            control_token=control["token"],
        )

    def configuration(self) -> dict[str, Any]:
        return {
            "harness_run_dir": str(self.run_dir),
            "gateway_url": self.gateway_url,
            "prometheus_base_url": self.prometheus_url,
        }

    def set_chaos_active(self, experiment: str, active: bool) -> None:
        response = httpx.post(
            f"{self.control_url}/api/chaos/{experiment}/active",
            json={"active": active},
            headers={"Authorization": f"Bearer {self.control_token}"},
            timeout=10,
        )
        response.raise_for_status()


@dataclass
class ChaosResult:
    """What the game day scores: outcome, the fault window and what should have fired."""

    experiment: str
    title: str
    status: str  # chaoslib's: completed | failed | aborted | interrupted
    deviated: bool
    steady_state_before: bool | None
    steady_state_after: bool | None
    rollbacks_succeeded: bool
    started_at: float
    ended_at: float
    fault_started_at: float | None
    fault_ended_at: float | None
    expected_alerts: list[str]
    max_recovery_seconds: float
    journal_path: Path
    failed_activities: list[str] = field(default_factory=list)
    impact: list[str] = field(default_factory=list)
    confirmation: catalog.Confirmation | None = None

    @property
    def succeeded(self) -> bool:
        return (
            self.status == "completed"
            and not self.deviated
            and self.rollbacks_succeeded
            and not self.failed_activities
        )

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["journal_path"] = str(self.journal_path)
        document["succeeded"] = self.succeeded
        return document


class ChaosInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run; its rollbacks ran. Carries the run's result."""

    def __init__(self, result: ChaosResult) -> None:
        super().__init__(f"experiment {result.experiment} interrupted")
        self.result = result


class FaultWindow(RunEventHandler):
    """Follows the run's activities to switch the chaos gauge and time the fault."""

    def __init__(self, on_change: Callable[[bool], None], progress: Progress) -> None:
        self.on_change = on_change
        self.progress = progress
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.in_method = False
        self.deferred_interrupt = False
        self.interrupted_by_signal = False  # chaoslib turned SIGINT/SIGTERM into a stop
        self._previous_sigint: Any = None
        self._lock = threading.Lock()

    def lift(self) -> None:
        """The fault is over (idempotent)."""
        self._switch(False)

    def _switch(self, active: bool) -> None:
        with self._lock:
            if active and self.started_at is None:
                self.started_at = time.time()
            elif not active and self.started_at is not None and self.ended_at is None:
                self.ended_at = time.time()
            else:
                return
        self.on_change(active)

    def start_method(self, experiment: dict[str, Any]) -> None:
        self.in_method = True
        self.progress("method")

    def start_activity(self, activity: dict[str, Any]) -> None:
        if activity.get("provider", {}).get("func") in INJECTING:
            self._switch(True)

    def activity_completed(self, activity: dict[str, Any], run: dict[str, Any]) -> None:
        if self.in_method and activity.get("provider", {}).get("func") in LIFTING:
            self._switch(False)
        self.progress(f"  {activity.get('type')} {activity.get('name')}: {run.get('status')}")

    def method_completed(self, experiment: dict[str, Any], state: Any = None) -> None:
        self.in_method = False
        self._switch(False)

    def hypothesis_before_completed(
        self, experiment: dict[str, Any], state: dict[str, Any], journal: dict[str, Any]
    ) -> None:
        self.progress(f"steady state before: {_met(state)}")

    def hypothesis_after_completed(
        self, experiment: dict[str, Any], state: dict[str, Any], journal: dict[str, Any]
    ) -> None:
        self.progress(f"steady state after: {_met(state)}")

    def interrupted(self, experiment: dict[str, Any], journal: dict[str, Any]) -> None:
        self.interrupted_by_signal = True
        stop_background_traffic()
        self.progress("interrupted: rolling back")

    def start_rollbacks(self, experiment: dict[str, Any]) -> None:
        self.progress("rollbacks")
        if threading.current_thread() is threading.main_thread():
            self._previous_sigint = signal.signal(signal.SIGINT, self._hold_interrupt)

    def rollbacks_completed(self, experiment: dict[str, Any], journal: dict[str, Any]) -> None:
        if self._previous_sigint is not None:
            signal.signal(signal.SIGINT, self._previous_sigint)
            self._previous_sigint = None
        self._switch(False)

    def _hold_interrupt(self, signum: int, frame: FrameType | None) -> None:
        self.deferred_interrupt = True
        self.progress("interrupt received: finishing the rollbacks first")


def _met(state: dict[str, Any] | None) -> str:
    if state is None:
        return "not run"
    return "met" if state.get("steady_state_met") else "NOT met"


def run(
    name_or_path: str,
    endpoints: PlatformEndpoints,
    progress: Progress | None = None,
    journal_dir: Path | None = None,
    configuration: dict[str, Any] | None = None,
) -> ChaosResult:
    """Run one experiment against the platform at ``endpoints``; see the module doc.
    ``configuration`` overrides the experiment's own values (a game's fault duration)."""
    say = progress or (lambda line: None)
    path = catalog.resolve(name_or_path)
    experiment = catalog.load(path)
    meta = catalog.metadata(experiment, path)
    name = catalog.experiment_name(path)
    endpoints.set_chaos_active(name, False)  # the series exists (at 0) before the fault
    window = FaultWindow(lambda active: endpoints.set_chaos_active(name, active), say)
    # The running platform's addresses win over the experiment's own ways to find them.
    experiment["configuration"] = {
        **(experiment.get("configuration") or {}),
        **(configuration or {}),
        **endpoints.configuration(),
    }
    say(f"experiment {name}: {experiment['title']}")
    allow_background_traffic()
    started = time.time()
    try:
        with _noting_ctrl_c(window):
            journal: dict[str, Any] = _quiet_chaoslib(
                lambda: run_experiment(
                    experiment,
                    settings=SETTINGS,
                    strategy=Strategy.DEFAULT,
                    event_handlers=[window],
                )
            )
    finally:
        with contextlib.suppress(httpx.HTTPError):  # the platform itself may be gone
            window.lift()
    failed = failed_activities(journal)
    # Named at the top of the journal too: chaoslib only marks them deep inside it.
    journal["failed_activities"] = failed
    journal_path = _write_journal(journal, journal_dir or endpoints.run_dir / "chaos", name)
    result = _result(name, journal, meta, window, started, journal_path, failed)
    say(
        f"status {result.status}, deviated {str(result.deviated).lower()}, "
        f"rollbacks {'ok' if result.rollbacks_succeeded else 'FAILED'}; journal {journal_path}"
    )
    if window.deferred_interrupt or window.interrupted_by_signal:
        raise ChaosInterrupted(result)
    return result


@contextlib.contextmanager
def _noting_ctrl_c(window: FaultWindow) -> Iterator[None]:
    """Ctrl-C and SIGTERM still interrupt the run as chaoslib does (it rolls back), and
    are noted, so the caller learns the operator asked to stop (a safeguard's interruption
    is not). Background traffic stops at once: chaoslib waits for background activities
    before it rolls back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum: int, frame: FrameType | None) -> None:
        window.interrupted_by_signal = True
        stop_background_traffic()
        raise KeyboardInterrupt

    chaoslib_sigterm = chaoslib_exit._terminate_now

    def note_sigterm(signum: int, frame: FrameType | None) -> None:
        window.interrupted_by_signal = True
        stop_background_traffic()
        chaoslib_sigterm(signum, frame)

    previous = signal.signal(signal.SIGINT, note)
    # chaoslib installs its SIGTERM handler (by this name) when the run starts.
    chaoslib_exit._terminate_now = note_sigterm
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        chaoslib_exit._terminate_now = chaoslib_sigterm


def _result(
    name: str,
    journal: dict[str, Any],
    meta: catalog.Metadata,
    window: FaultWindow,
    started: float,
    journal_path: Path,
    failed: list[str],
) -> ChaosResult:
    states = journal.get("steady_states") or {}
    rollbacks = journal.get("rollbacks") or []
    return ChaosResult(
        experiment=name,
        title=journal["experiment"]["title"],
        status=journal["status"],
        deviated=bool(journal.get("deviated")),
        steady_state_before=_state_met(states.get("before")),
        steady_state_after=_state_met(states.get("after")),
        rollbacks_succeeded=bool(rollbacks) and all(r["status"] == "succeeded" for r in rollbacks),
        started_at=started,
        ended_at=time.time(),
        fault_started_at=window.started_at,
        fault_ended_at=window.ended_at,
        expected_alerts=list(meta.expected_alerts),
        max_recovery_seconds=meta.max_recovery_seconds,
        impact=list(meta.impact),
        confirmation=meta.confirmation,
        journal_path=journal_path,
        failed_activities=failed,
    )


def failed_activities(journal: dict[str, Any]) -> list[str]:
    """Every activity that failed, with why: method and rollback activities, and the
    steady-state probes (a hypothesis that fails before the method fails the run
    without any failed method activity)."""
    failed = []
    states = journal.get("steady_states") or {}
    for when in ("before", "after"):
        for probe in (states.get(when) or {}).get("probes") or []:
            if probe.get("status") != "succeeded" or probe.get("tolerance_met") is False:
                failed.append(f"steady state {when}: {_activity_failure(probe)}")
    for part in ("run", "rollbacks"):
        for activity in journal.get(part) or []:
            if activity.get("status") != "succeeded":
                failed.append(_activity_failure(activity))
    return failed


def _activity_failure(run: dict[str, Any]) -> str:
    name = run.get("activity", {}).get("name", "?")
    exception = run.get("exception")
    if exception:
        lines = exception if isinstance(exception, list) else [str(exception)]
        last = "".join(lines).strip().splitlines()[-1:] or ["?"]
        return f"{name}: {last[0][:300]}"
    if run.get("tolerance_met") is False:
        return f"{name}: tolerance not met (output {str(run.get('output'))[:200]})"
    return f"{name}: {run.get('status')}"


def _state_met(state: dict[str, Any] | None) -> bool | None:
    return None if state is None else bool(state.get("steady_state_met"))


def _write_journal(journal: dict[str, Any], directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}.journal.json"
    path.write_text(json.dumps(journal, indent=2, default=str) + "\n")
    return path


# chaoslib logs through "chaostoolkit", chaostoolkit-prometheus through logzero's logger.
CHATTY_LOGGERS = ("chaostoolkit", "logzero_default")


def _quiet_chaoslib(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Our progress lines and the journal replace the libraries' own logging."""
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    previous = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False
    try:
        return call()
    finally:
        for logger, (level, propagate) in zip(loggers, previous, strict=True):
            logger.setLevel(level)
            logger.propagate = propagate
