"""A five-minute synthetic game day written as metrics, a receiver log and a game record.

The metrics are the contract's (gateway request histogram, order completion histogram,
order outcomes, probe runs) plus Prometheus' ``ALERTS`` series, sampled every 5 s, in
OpenMetrics text that ``promtool tsdb create-blocks-from openmetrics`` backfills into a
real Prometheus.

Timeline (seconds after t0): warm-up until 30; round ``kill-product-service`` 60-150
with its fault 80-110 (every browse request is a 5xx, browsing is clean again at 120);
round ``product-latency`` 170-250 with its fault 190-210 (browse requests take 0.8 s);
the game ends at 300. A stray page (CheckoutLatencyBudgetBurn) arrives at 50 s, after the
ramp and before the first fault.
"""

from __future__ import annotations

import json
from pathlib import Path

from reports.record import ConfirmationQuery, GameRecord, LoadSummary, ProbeSummary, RoundRecord

DURATION_S = 300
STEP_S = 5
BUCKETS = (
    "0.005",
    "0.01",
    "0.025",
    "0.05",
    "0.1",
    "0.25",
    "0.5",
    "1.0",
    "2.5",
    "5.0",
    "10.0",
    "+Inf",
)
# (route, method, requests per step)
ROUTES = (
    ("/products/{product_id}", "GET", 50),
    ("/auth/login", "POST", 5),
    ("/orders", "POST", 10),
)
OUTAGE = (80, 110)  # browse answers 5xx
OUTAGE_TAIL_S = 10  # and keeps failing this long after the fault ends
SLOW = (190, 210)  # browse answers in 0.8 s
# alertname -> (severity, firing from, to) in ALERTS
FIRING = {
    "TargetDown": ("page", 85, 115),
    "GatewayBrowseAvailabilityBudgetBurn": ("page", 95, 130),
    "GatewayBrowseLatencyBudgetBurn": ("page", 200, 230),
}
# the receiver's log: (alertname, severity, status, received after t0)
NOTIFICATIONS = (
    ("CheckoutLatencyBudgetBurn", "page", "firing", 50.0),
    ("TargetDown", "page", "firing", 88.0),
    ("GatewayBrowseAvailabilityBudgetBurn", "page", "firing", 97.0),
    ("GatewayBrowseAvailabilityBudgetBurn", "page", "firing", 127.0),  # a repeat
    ("TargetDown", "page", "resolved", 120.0),
    ("GatewayBrowseAvailabilityBudgetBurn", "page", "resolved", 135.0),
)
BASE_LABELS = 'service="gateway"'
# What each round declares its fault may burn (the blast radius).
KILL_IMPACT = ["gateway/browse-availability", "probe-runner/journeys-success"]
LATENCY_IMPACT = ["gateway/browse-latency"]


def _observation(route: str, t: int) -> tuple[str, float]:
    """(status class, duration) of the requests served in the step ending at t."""
    if route.startswith("/products") and OUTAGE[0] < t <= OUTAGE[1] + OUTAGE_TAIL_S:
        return "5xx", 0.02
    if route.startswith("/products") and SLOW[0] < t <= SLOW[1]:
        return "2xx", 0.8
    return "2xx", 0.02


def openmetrics(t0: int) -> str:
    """The game's metrics, every STEP_S seconds from t0 to t0 + DURATION_S."""
    times = range(0, DURATION_S + 1, STEP_S)
    # cumulative counters per series key
    counts: dict[tuple[str, str, str], list[float]] = {}
    lines = ["# TYPE http_server_request_duration_seconds histogram"]
    for t in times:
        for route, method, per_step in ROUTES:
            status, duration = _observation(route, t)
            for status_class in ("2xx", "5xx"):
                key = (route, method, status_class)
                bucket_counts = counts.setdefault(key, [0.0] * (len(BUCKETS) + 1))
                if t > 0 and status_class == status:
                    for index, edge in enumerate(BUCKETS):
                        if edge == "+Inf" or duration <= float(edge):
                            bucket_counts[index] += per_step
                    bucket_counts[-1] += per_step * duration
                labels = (
                    f'{BASE_LABELS},route="{route}",method="{method}",status_class="{status_class}"'
                )
                for index, edge in enumerate(BUCKETS):
                    lines.append(
                        f'http_server_request_duration_seconds_bucket{{{labels},le="{edge}"}} '
                        f"{bucket_counts[index]:g} {t0 + t}"
                    )
                lines.append(
                    f"http_server_request_duration_seconds_count{{{labels}}} "
                    f"{bucket_counts[-2]:g} {t0 + t}"
                )
                lines.append(
                    f"http_server_request_duration_seconds_sum{{{labels}}} "
                    f"{bucket_counts[-1]:g} {t0 + t}"
                )
    lines.append("# TYPE order_completion_seconds histogram")
    for t in times:
        orders = 10 * t // STEP_S  # two orders a second, all done within 1 s
        for edge in (
            "0.1",
            "0.25",
            "0.5",
            "1.0",
            "2.5",
            "5.0",
            "10.0",
            "30.0",
            "60.0",
            "120.0",
            "+Inf",
        ):
            done = orders if float(edge) >= 1.0 else 0
            lines.append(
                f'order_completion_seconds_bucket{{service="order-service",le="{edge}"}} '
                f"{done} {t0 + t}"
            )
        lines.append(f'order_completion_seconds_count{{service="order-service"}} {orders} {t0 + t}')
        lines.append(
            f'order_completion_seconds_sum{{service="order-service"}} {orders * 0.6:g} {t0 + t}'
        )
    lines.append("# TYPE order_outcomes counter")
    for t in times:
        orders = 10 * t // STEP_S
        declined = t // 25  # the customer's card, declined by its issuer: not an error
        for outcome, cause, count in (
            ("confirmed", "paid", orders - declined),
            ("cancelled", "card_declined", declined),
        ):
            lines.append(
                f'order_outcomes_total{{service="order-service",outcome="{outcome}",'
                f'cause="{cause}"}} {count} {t0 + t}'
            )
    lines.append("# TYPE probe_runs counter")
    for t in times:
        runs = t // STEP_S * 3
        lines.append(f'probe_runs_total{{journey="browse",result="success"}} {runs} {t0 + t}')
    lines.append("# TYPE harness_component_restarts counter")
    for t in times:
        restarts = 1 if t > OUTAGE[0] else 0  # the killed product service came back
        lines.append(
            f'harness_component_restarts_total{{component="product-service"}} {restarts} {t0 + t}'
        )
    lines.append("# TYPE ALERTS gauge")
    for name, (severity, start, end) in FIRING.items():
        for t in range(start, end + 1, STEP_S):
            lines.append(
                f'ALERTS{{alertname="{name}",alertstate="firing",severity="{severity}"}} 1 {t0 + t}'
            )
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def write_alert_log(t0: int, path: Path) -> None:
    with path.open("w") as handle:
        for name, severity, status, after in NOTIFICATIONS:
            entry = {
                "received_at": t0 + after,
                "receiver": "harness-gateway",
                "status": status,
                "labels": {"alertname": name, "severity": severity, "service": "gateway"},
                "annotations": {"summary": name},
                "starts_at": f"start-of-{name}",
                "ends_at": None,
                "fingerprint": f"fp-{name}",
            }
            handle.write(json.dumps(entry, sort_keys=True) + "\n")


def game_record(t0: int, alerts_log: Path, prometheus_url: str) -> GameRecord:
    return GameRecord(
        run_id="synthetic-smoke",
        profile="smoke",
        git_revision="abc1234",
        started_at=t0,
        ended_at=t0 + DURATION_S,
        complete=True,
        prometheus_url=prometheus_url,
        warmup_ended_at=t0 + 30,
        rounds=[
            RoundRecord(
                name="kill-product-service",
                experiment="chaos_experiments/local/kill-product-service.yaml",
                started_at=t0 + 60,
                ended_at=t0 + 150,
                fault_started_at=t0 + OUTAGE[0],
                fault_ended_at=t0 + OUTAGE[1],
                chaos_status="completed",
                expected_alerts=["TargetDown", "GatewayBrowseAvailabilityBudgetBurn"],
                impact=KILL_IMPACT,
                confirmation=ConfirmationQuery(
                    query='sum(increase(harness_component_restarts_total{component="product-service"}'
                    "[{window}]))",
                    description="the supervisor restarted product-service",
                ),
                max_recovery_seconds=30,
            ),
            RoundRecord(
                name="product-latency",
                experiment="chaos_experiments/local/product-latency.yaml",
                started_at=t0 + 170,
                ended_at=t0 + 250,
                fault_started_at=t0 + SLOW[0],
                fault_ended_at=t0 + SLOW[1],
                chaos_status="completed",
                expected_alerts=["GatewayBrowseLatencyBudgetBurn"],
                impact=LATENCY_IMPACT,
                confirmation=ConfirmationQuery(
                    query="sum(increase(http_server_request_duration_seconds_count"
                    '{route=~"/products.*"}[{window}])) - sum(increase('
                    'http_server_request_duration_seconds_bucket{route=~"/products.*", le="0.5"}'
                    "[{window}]))",
                    description="browsing answered slower than 0.5 s",
                ),
                max_recovery_seconds=30,
            ),
        ],
        alerts_log=str(alerts_log),
        audit={
            "passed": True,
            "orders_checked": 600,
            "waited_s": 0.5,
            "invariants": [
                {
                    "name": "terminal-state",
                    "description": "orders end",
                    "passed": True,
                    "offending": [],
                },
                {
                    "name": "no-double-apply",
                    "description": "events once",
                    "passed": True,
                    "offending": [],
                },
            ],
        },
        load=LoadSummary(requests=19500, failures=1500, rps=65.0, p95_ms=120.0, exit_code=1),
        probes=ProbeSummary(
            runs=180, failures=0, by_journey={"browse": {"success": 180, "failure": 0}}
        ),
    )
