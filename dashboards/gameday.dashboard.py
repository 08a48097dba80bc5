"""The game day: injected faults as annotations next to SLO burn, alerts and health."""

from grafanalib.core import Annotations, Dashboard

from dashboards.panels import rows, timeseries

CHAOS_ANNOTATION = {
    "name": "Chaos",
    "enable": True,
    "iconColor": "red",
    "expr": "max by (experiment) (harness_chaos_active) > 0",
    "step": "5s",
    "titleFormat": "{{experiment}}",
    "textFormat": "fault injected",
    "useValueForTime": False,
}

dashboard = Dashboard(
    title="Game day",
    uid="gameday",
    description="Chaos experiments against SLO burn, alerts and component health",
    tags=["commerce", "gameday"],
    refresh="5s",
    annotations=Annotations(list=[CHAOS_ANNOTATION]),
    panels=rows(
        [
            (
                "Chaos",
                [
                    timeseries(
                        "Faults active",
                        "1 while an experiment injects its fault.",
                        [("max by (experiment) (harness_chaos_active)", "{{experiment}}")],
                        "none",
                    ),
                    timeseries(
                        "Firing alerts",
                        "Alerts firing, by name and severity.",
                        [
                            (
                                'count by (alertname, severity) (ALERTS{alertstate="firing"})',
                                "{{alertname}} {{severity}}",
                            )
                        ],
                        "short",
                    ),
                    timeseries(
                        "Components up",
                        "1 when Prometheus can scrape the component.",
                        [("min by (job) (up)", "{{job}}")],
                        "none",
                    ),
                ],
            ),
            (
                "SLOs",
                [
                    timeseries(
                        "Burn rate",
                        "Budget burn over the base window, per SLO.",
                        [("slo:current_burn_rate:ratio", "{{slo_service}} {{slo_name}}")],
                        "none",
                    ),
                    timeseries(
                        "Error budget remaining",
                        "Share of the period's budget left, per SLO.",
                        [
                            (
                                "slo:period_error_budget_remaining:ratio",
                                "{{slo_service}} {{slo_name}}",
                            )
                        ],
                        "percentunit",
                    ),
                    timeseries(
                        "Gateway error ratio",
                        "Share of gateway requests answered with a 5xx.",
                        [
                            (
                                "sum(rate(http_server_request_duration_seconds_count"
                                '{service="gateway", '
                                'status_class="5xx"}[$__rate_interval]))\n/\n'
                                'sum(rate(http_server_request_duration_seconds_count{service="gateway"}'
                                "[$__rate_interval]))",
                                "5xx ratio",
                            )
                        ],
                        "percentunit",
                    ),
                ],
            ),
        ]
    ),
)
