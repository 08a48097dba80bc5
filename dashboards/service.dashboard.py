"""One service at a glance: RED by route, saturation, dependencies, events."""

from grafanalib.core import Dashboard, Templating

from dashboards.panels import query_variable, rows, timeseries

ALL_REQUESTS = (
    'sum by (route) (rate(http_server_request_duration_seconds_count{service="$service"}'
    "[$__rate_interval]))"
)
FAILED_REQUESTS = (
    'sum by (route) (rate(http_server_request_duration_seconds_count{service="$service", '
    'status_class="5xx"}[$__rate_interval]))'
)


def _latency(quantile: str, metric: str, by: str) -> tuple[str, str]:
    return (
        f"histogram_quantile({quantile}, sum by ({by}, le) "
        f'(rate({metric}_bucket{{service="$service"}}[$__rate_interval])))',
        f"p{quantile[2:]} {{{{{by}}}}}",
    )


dashboard = Dashboard(
    title="Service overview",
    uid="service-overview",
    description="RED, saturation, dependencies and events of one service",
    tags=["commerce", "service"],
    templating=Templating(
        list=[
            query_variable(
                "service",
                "Service",
                "label_values(http_server_request_duration_seconds_count, service)",
            ),
        ]
    ),
    panels=rows(
        [
            (
                "Requests (RED)",
                [
                    timeseries(
                        "Request rate by route",
                        "Requests served per second, by route template.",
                        [(ALL_REQUESTS, "{{route}}")],
                        "reqps",
                    ),
                    timeseries(
                        "Error ratio by route",
                        "Share of requests answered with a 5xx.",
                        [(f"{FAILED_REQUESTS}\n/\n{ALL_REQUESTS}", "{{route}}")],
                        "percentunit",
                    ),
                    timeseries(
                        "Latency by route",
                        "p50, p90 and p99 of request duration.",
                        [
                            _latency(q, "http_server_request_duration_seconds", "route")
                            for q in ("0.50", "0.90", "0.99")
                        ],
                        "s",
                    ),
                ],
            ),
            (
                "Saturation",
                [
                    timeseries(
                        "Requests in flight",
                        "Requests being served right now.",
                        [('sum(http_server_requests_in_flight{service="$service"})', "in flight")],
                        "short",
                    ),
                    timeseries(
                        "CPU",
                        "CPU time used per second (1 = one core).",
                        [
                            (
                                'sum by (instance) (rate(process_cpu_seconds_total{job="$service"}'
                                "[$__rate_interval]))",
                                "{{instance}}",
                            )
                        ],
                        "percentunit",
                    ),
                    timeseries(
                        "Resident memory",
                        "Resident set size of the process.",
                        [
                            (
                                'sum by (instance) (process_resident_memory_bytes{job="$service"})',
                                "{{instance}}",
                            )
                        ],
                        "bytes",
                    ),
                ],
            ),
            (
                "Dependencies",
                [
                    timeseries(
                        "Client latency by peer",
                        "p50 and p99 of outgoing calls.",
                        [
                            _latency(q, "http_client_request_duration_seconds", "peer")
                            for q in ("0.50", "0.99")
                        ],
                        "s",
                    ),
                    timeseries(
                        "Client failures by peer",
                        "Outgoing calls with a 5xx or no answer.",
                        [
                            (
                                "sum by (peer) (rate(http_client_request_duration_seconds_count"
                                '{service="$service", status_class=~"5xx|error"}'
                                "[$__rate_interval]))",
                                "{{peer}}",
                            )
                        ],
                        "reqps",
                    ),
                    timeseries(
                        "Circuit breaker state",
                        "0 closed, 1 half-open, 2 open.",
                        [('max by (peer) (circuit_breaker_state{service="$service"})', "{{peer}}")],
                        "none",
                    ),
                ],
            ),
            (
                "Events",
                [
                    timeseries(
                        "Outbox pending",
                        "Outbox rows not yet published.",
                        [('sum(outbox_pending_events{service="$service"})', "pending")],
                        "short",
                    ),
                    timeseries(
                        "Published and consumed",
                        "Events per second by topic and result.",
                        [
                            (
                                "sum by (topic, result) (rate(events_published_total"
                                '{service="$service"}'
                                "[$__rate_interval]))",
                                "published {{topic}} {{result}}",
                            ),
                            (
                                "sum by (topic, result) (rate(events_consumed_total"
                                '{service="$service"}'
                                "[$__rate_interval]))",
                                "consumed {{topic}} {{result}}",
                            ),
                        ],
                        "ops",
                    ),
                    timeseries(
                        "Dead letters",
                        "Consumed events sent to the dead-letter topic.",
                        [
                            (
                                'sum by (topic) (rate(events_consumed_total{service="$service", '
                                'result="dead_lettered"}[$__rate_interval]))',
                                "{{topic}}",
                            )
                        ],
                        "ops",
                    ),
                ],
            ),
        ]
    ),
)
