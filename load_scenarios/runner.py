"""Start Locust headless as a subprocess (master plus workers when asked), follow it
live, and read its CSV/JSON output into a result.

Never imports Locust: safe from asyncio programs such as the game day.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.platform.processes import (
    PortTaken,
    address_in_use,
    free_ports,
    port_in_use,
    retry_on_port_taken,
)
from load_scenarios import scenarios, shapes
from load_scenarios.thresholds import AGGREGATED, Limits, to_json

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
CSV_PREFIX = "locust"
STATS_JSON = "stats"  # Locust appends .json
VERDICT_FILE = "thresholds.json"
WORKERS_CONNECT_S = 30  # how long the master waits for its workers
MASTER_LISTENS_S = 30  # how long a distributed master may take to bind its port


@dataclass(frozen=True)
class LoadPlan:
    gateway_url: str
    scenario: str = "mixed"
    shape: str = "steady"
    duration_s: float = 60.0
    users: int = 10
    peak_users: int | None = None
    spawn_rate: float | None = None
    thresholds: Mapping[str, Limits] = field(default_factory=dict)
    workers: int = 0  # 0: one local process; N: a master and N workers
    products: int = 20
    declined_card_share: float = 0.03  # buyers paying with the card the issuer declines
    admin_email: str = "admin@example.com"
    admin_password: str = "admin-password"  # noqa: S105 - the documented demo admin

    def validate(self) -> shapes.StagedShape:
        """The shape this plan runs; ValueError names what is wrong."""
        scenarios.personas(self.scenario)
        if self.workers < 0:
            raise ValueError(f"workers must be 0 or more, not {self.workers}")
        if not 0 <= self.declined_card_share <= 1:
            raise ValueError(
                f"declined card share must be within 0..1, not {self.declined_card_share}"
            )
        params = shapes.ShapeParams(self.users, self.duration_s, self.peak_users, self.spawn_rate)
        return shapes.build(self.shape, params)


@dataclass(frozen=True)
class RequestSummary:
    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    max_ms: float

    @property
    def key(self) -> str:
        return self.name if self.name == AGGREGATED else f"{self.method} {self.name}"


@dataclass(frozen=True)
class LoadResult:
    exit_code: int
    out_dir: Path
    requests: list[RequestSummary]
    total: RequestSummary | None
    violations: list[str]
    thresholds_checked: bool

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


class LoadRun:
    """A running load test. ``wait()`` for its result, ``stop()`` to end it early."""

    def __init__(
        self,
        plan: LoadPlan,
        out_dir: Path,
        master: subprocess.Popen[bytes],
        workers: list[subprocess.Popen[bytes]],
    ) -> None:
        self.plan = plan
        self.out_dir = out_dir
        self.master = master
        self.workers = workers
        self.started = time.monotonic()

    @property
    def running(self) -> bool:
        return self.master.poll() is None

    def summary_line(self) -> str | None:
        """The latest aggregated numbers, from Locust's per-second stats history."""
        row = _last_aggregated(self.out_dir / f"{CSV_PREFIX}_stats_history.csv")
        if row is None:
            return None
        elapsed = time.monotonic() - self.started
        requests = int(row["Total Request Count"])
        failures = int(row["Total Failure Count"])
        ratio = failures / requests if requests else 0.0
        p95 = row["95%"] if row["95%"] != "N/A" else "-"
        return (
            f"{elapsed:5.0f}s users={row['User Count']} rps={float(row['Requests/s']):.1f} "
            f"requests={requests} failures={failures} ({ratio:.1%}) p95={p95}ms"
        )

    def wait(self, timeout: float | None = None) -> LoadResult:
        """Block until Locust exits (stopping it after ``timeout`` seconds)."""
        try:
            code = self.master.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            code = self.master.wait(30)
        for worker in self.workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        return read_result(self.out_dir, code, bool(self.plan.thresholds))

    def stop(self) -> None:
        """Ask Locust to quit the way Ctrl-C does: stats and verdict are still written."""
        if self.running:
            self.master.send_signal(signal.SIGTERM)


def locust_command(plan: LoadPlan, out_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        plan.gateway_url,
        "--load-shape",
        plan.shape,
        "--load-users",
        str(plan.users),
        "--load-duration",
        str(plan.duration_s),
        "--load-peak-users",
        str(plan.peak_users or 0),
        "--load-spawn-rate",
        str(plan.spawn_rate or 0),
        "--load-products",
        str(plan.products),
        "--load-declined-card-share",
        str(plan.declined_card_share),
        "--load-admin-email",
        plan.admin_email,
        "--load-admin-password",
        plan.admin_password,
        "--load-thresholds",
        to_json(plan.thresholds),
        "--load-report",
        str(out_dir / VERDICT_FILE),
    ]


def start_load(plan: LoadPlan, out_dir: Path) -> LoadRun:
    """Start the run in the background; output goes to ``out_dir``."""
    plan.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    base = locust_command(plan, out_dir)
    personas = list(scenarios.personas(plan.scenario))
    outputs = [
        "--csv",
        str(out_dir / CSV_PREFIX),
        "--json-file",
        str(out_dir / STATS_JSON),
        "--html",
        str(out_dir / "report.html"),
        "--only-summary",
        "--logfile",
        str(out_dir / "locust.log"),
    ]
    if not plan.workers:
        master = _spawn([*base, *outputs, *personas], out_dir / "locust.out")
        return LoadRun(plan, out_dir, master, [])
    master, port = retry_on_port_taken(
        lambda: _start_master([*base, *outputs], personas, plan.workers, out_dir)
    )
    workers = []
    for index in range(plan.workers):
        command = [
            *base,
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
            "--logfile",
            str(out_dir / f"worker-{index}.log"),
            *personas,
        ]
        workers.append(_spawn(command, out_dir / f"worker-{index}.out"))
    return LoadRun(plan, out_dir, master, workers)


def _start_master(
    command: list[str], personas: list[str], workers: int, out_dir: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """The master of a distributed run, listening; a port lost to another process
    raises PortTaken so the caller starts it again on a new one."""
    (port,) = free_ports(1)
    distributed = [
        "--master",
        "--master-bind-host",
        "127.0.0.1",
        "--master-bind-port",
        str(port),
        "--expect-workers",
        str(workers),
        "--expect-workers-max-wait",
        str(WORKERS_CONNECT_S),
    ]
    output = out_dir / "locust.out"
    master = _spawn([*command, *distributed, *personas], output)
    deadline = time.monotonic() + MASTER_LISTENS_S
    while time.monotonic() < deadline:
        if master.poll() is not None:
            text = output.read_text(errors="replace")
            if address_in_use(text):
                raise PortTaken(f"Locust master port {port} already in use")
            return master, port  # it failed otherwise: the caller reads its exit code
        if port_in_use(port):
            return master, port
        time.sleep(0.05)
    return master, port


def _spawn(command: list[str], output: Path) -> subprocess.Popen[bytes]:
    with output.open("wb") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)


def _last_aggregated(path: Path) -> dict[str, str] | None:
    try:
        with path.open(newline="") as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("Name") == AGGREGATED]
    except FileNotFoundError:
        return None
    return rows[-1] if rows else None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # Locust writes "N/A" when there is nothing to report
        return 0.0


def read_result(out_dir: Path, exit_code: int, thresholds_checked: bool) -> LoadResult:
    """Summaries from ``locust_stats.csv`` and the threshold verdict, if any."""
    summaries: list[RequestSummary] = []
    path = out_dir / f"{CSV_PREFIX}_stats.csv"
    if path.exists():
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                summaries.append(
                    RequestSummary(
                        method=row["Type"],
                        name=row["Name"],
                        requests=int(row["Request Count"]),
                        failures=int(row["Failure Count"]),
                        rps=_number(row["Requests/s"]),
                        p50_ms=_number(row["50%"]),
                        p95_ms=_number(row["95%"]),
                        max_ms=_number(row["Max Response Time"]),
                    )
                )
    total = next((s for s in summaries if s.name == AGGREGATED), None)
    violations: list[str] = []
    verdict = out_dir / VERDICT_FILE
    if thresholds_checked and verdict.exists():
        violations = list(json.loads(verdict.read_text())["violations"])
    return LoadResult(
        exit_code=exit_code,
        out_dir=out_dir,
        requests=[s for s in summaries if s.name != AGGREGATED],
        total=total,
        violations=violations,
        thresholds_checked=thresholds_checked,
    )


def format_result(result: LoadResult) -> list[str]:
    lines = [f"{'request':<40} {'reqs':>7} {'fails':>6} {'rps':>7} {'p50':>6} {'p95':>6}"]
    for row in [*result.requests, *([result.total] if result.total else [])]:
        lines.append(
            f"{row.key[:40]:<40} {row.requests:>7} {row.failures:>6} {row.rps:>7.1f} "
            f"{row.p50_ms:>6.0f} {row.p95_ms:>6.0f}"
        )
    if result.thresholds_checked:
        lines += [f"threshold broken: {v}" for v in result.violations] or ["thresholds: all met"]
    lines.append(f"exit code {result.exit_code}; output in {result.out_dir}")
    return lines
