"""The metric contract: every metric the services export, defined in one place.

Label sets are part of the contract between the services, the SLO rules and the
dashboards; change them only together with slo/ and dashboards/.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# The *_created series double every counter for no use in SLO maths.
disable_created_metrics()

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COMPLETION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

HTTP_SERVER_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP requests served, by route template.",
    ["service", "route", "method", "status_class"],
    buckets=LATENCY_BUCKETS,
)
HTTP_SERVER_IN_FLIGHT = Gauge(
    "http_server_requests_in_flight",
    "HTTP requests being served right now.",
    ["service"],
    multiprocess_mode="livesum",
)
HTTP_CLIENT_DURATION = Histogram(
    "http_client_request_duration_seconds",
    "Duration of outgoing HTTP requests, by peer; status_class=error when no response.",
    ["service", "peer", "status_class"],
    buckets=LATENCY_BUCKETS,
)
GATEWAY_RATE_LIMITED = Counter(
    "gateway_rate_limited_total", "Requests refused by the gateway's rate limiter.", ["route"]
)
CIRCUIT_BREAKER_STATE = Gauge(
    "circuit_breaker_state",
    "Circuit breaker state per peer: 0 closed, 1 half-open, 2 open.",
    ["service", "peer"],
)
OUTBOX_PENDING = Gauge("outbox_pending_events", "Outbox rows not yet published.", ["service"])
EVENTS_PUBLISHED = Counter(
    "events_published_total", "Events published to the broker.", ["service", "topic", "result"]
)
EVENTS_CONSUMED = Counter(
    "events_consumed_total",
    "Events consumed; result is applied, duplicate, dead_lettered or failed.",
    ["service", "topic", "result"],
)
ORDER_COMPLETION = Histogram(
    "order_completion_seconds",
    "Time from order placed to a terminal state.",
    ["outcome"],
    buckets=COMPLETION_BUCKETS,
)
ORDER_OUTCOMES = Counter(
    "order_outcomes_total",
    "Orders that reached a terminal state, by outcome (confirmed, cancelled) and cause "
    "(paid, card_declined, payment_failed, stock_rejected, customer_cancelled).",
    ["outcome", "cause"],
)
FAULTS_INJECTED = Counter(
    "faults_injected_total",
    "Requests affected by an injected fault.",
    ["service", "kind"],
)


def status_class(status: int) -> str:
    return f"{status // 100}xx"
