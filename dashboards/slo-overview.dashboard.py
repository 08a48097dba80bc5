"""Every SLO in one table: objective, SLI over the period, budget left, burn, alerts."""

from grafanalib.core import Dashboard

from dashboards.panels import rows, table, timeseries

BY_SLO = "on (slo_service, slo_name) group_left ()"
PERIOD_SLI = (
    f"1 - (1 - max without (slo_window) (slo:period_error_budget_remaining:ratio))\n"
    f"* {BY_SLO} slo:error_budget:ratio"
)
ALERT_STATE = (
    'max by (slo_service, slo_name) (2 * ALERTS{alertstate="firing", severity="page", slo_name!=""}'
    ' or ALERTS{alertstate="firing", severity="ticket", slo_name!=""})'
)

dashboard = Dashboard(
    title="SLO overview",
    uid="slo-overview",
    description="All SLOs generated from slo/specs",
    tags=["commerce", "slo"],
    panels=rows(
        [
            (
                "SLOs",
                [
                    table(
                        "SLOs",
                        "Objective, SLI over the period, error budget left, burn rate over the "
                        "base window, alert state (2 page, 1 ticket).",
                        [
                            ("max without (slo_window) (slo:objective:ratio)", ""),
                            (PERIOD_SLI, ""),
                            (
                                "max without (slo_window)"
                                " (slo:period_error_budget_remaining:ratio)",
                                "",
                            ),
                            ("max without (slo_window) (slo:current_burn_rate:ratio)", ""),
                            (ALERT_STATE, ""),
                        ],
                        "percentunit",
                    ),
                ],
            ),
            (
                "Trends",
                [
                    timeseries(
                        "Error budget remaining",
                        "Share of the period's budget left.",
                        [
                            (
                                "slo:period_error_budget_remaining:ratio",
                                "{{slo_service}} {{slo_name}}",
                            )
                        ],
                        "percentunit",
                    ),
                    timeseries(
                        "Burn rate",
                        "Budget burn over the base window (1 = exactly on budget).",
                        [("slo:current_burn_rate:ratio", "{{slo_service}} {{slo_name}}")],
                        "none",
                    ),
                ],
            ),
        ]
    ),
)
