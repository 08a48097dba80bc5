"""The runner's metrics, named like blackbox_exporter's, in a registry of their own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from synthetic_probes.engine import JourneyResult
from synthetic_probes.journey import TOTAL_STEP

DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class ProbeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.success = Gauge(
            "probe_success",
            "1 when the journey's last run passed, 0 when it failed",
            ["journey"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "probe_duration_seconds",
            "Duration of each step of a journey, and of the whole run (step=total)",
            ["journey", "step"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.runs = Counter(
            "probe_runs",
            "Journey runs by result (success or failure)",
            ["journey", "result"],
            registry=self.registry,
        )
        # Labels come from the journey's own step names and a fixed list of reasons,
        # so the series stay bounded; only the latest failure per journey is kept.
        self.last_failure = Gauge(
            "probe_last_failure_info",
            "The step and reason of the journey's most recent failure (value 1)",
            ["journey", "step", "reason"],
            registry=self.registry,
        )
        self.last_failure_time = Gauge(
            "probe_last_failure_timestamp_seconds",
            "When the journey last failed (Unix time)",
            ["journey"],
            registry=self.registry,
        )
        self._failure_labels: dict[str, tuple[str, str]] = {}

    def declare(self, journey: str) -> None:
        """Export the counters at zero before the first run, so rate() sees the first one."""
        for result in ("success", "failure"):
            self.runs.labels(journey, result)

    def record(self, result: JourneyResult) -> None:
        name = result.journey
        self.success.labels(name).set(1 if result.ok else 0)
        self.runs.labels(name, "success" if result.ok else "failure").inc()
        for step in [*result.steps, *result.cleanup]:
            if not step.skipped:
                self.duration.labels(name, step.name).observe(step.seconds)
        self.duration.labels(name, TOTAL_STEP).observe(result.seconds)
        failure = result.failure
        if failure is None:
            return
        previous = self._failure_labels.get(name)
        if previous is not None:
            self.last_failure.remove(name, *previous)
        labels = (failure.name, failure.reason or "unknown")
        self.last_failure.labels(name, *labels).set(1)
        self.last_failure_time.labels(name).set_to_current_time()
        self._failure_labels[name] = labels
