"""One SLO in depth: objective, SLI, budget remaining, burn rate per window, alert state."""

from grafanalib.core import Dashboard, Templating

from dashboards.panels import query_variable, rows, stat, timeseries

SLO = 'slo_service="$slo_service", slo_name="$slo_name"'
BY_SLO = "on (slo_service, slo_name) group_left ()"

dashboard = Dashboard(
    title="SLO detail",
    uid="slo-detail",
    description="Objective, SLI, error budget and burn-rate alerts of one SLO",
    tags=["commerce", "slo"],
    templating=Templating(
        list=[
            query_variable(
                "slo_service", "Service", "label_values(slo:objective:ratio, slo_service)"
            ),
            query_variable(
                "slo_name",
                "SLO",
                'label_values(slo:objective:ratio{slo_service="$slo_service"}, slo_name)',
            ),
        ]
    ),
    panels=rows(
        [
            (
                "Status",
                [
                    stat(
                        "Objective",
                        "Target share of good events.",
                        f"slo:objective:ratio{{{SLO}}}",
                        "percentunit",
                    ),
                    stat(
                        "SLI over the period",
                        "Share of good events so far in the period.",
                        f"1 - (1 - slo:period_error_budget_remaining:ratio{{{SLO}}})\n"
                        f"* {BY_SLO} slo:error_budget:ratio{{{SLO}}}",
                        "percentunit",
                    ),
                    stat(
                        "Error budget remaining",
                        "Share of the period's budget left.",
                        f"slo:period_error_budget_remaining:ratio{{{SLO}}}",
                        "percentunit",
                    ),
                    stat(
                        "Burn rate",
                        "Budget burn over the base window.",
                        f"slo:current_burn_rate:ratio{{{SLO}}}",
                        "none",
                    ),
                ],
            ),
            (
                "Burn",
                [
                    timeseries(
                        "SLI",
                        "Share of good events over the base window.",
                        [
                            (f"1 - slo:sli_error:ratio_rate5m{{{SLO}}}", "SLI"),
                            (f"slo:objective:ratio{{{SLO}}}", "objective"),
                        ],
                        "percentunit",
                    ),
                    timeseries(
                        "Burn rate by window",
                        "Error ratio / error budget over each alert window.",
                        [
                            (
                                f'{{__name__=~"slo:sli_error:ratio_rate.+", {SLO}}}\n'
                                f"/ {BY_SLO} slo:error_budget:ratio{{{SLO}}}",
                                "{{slo_window}}",
                            )
                        ],
                        "none",
                    ),
                    timeseries(
                        "Events",
                        "Bad and total events per second.",
                        [(f"slo:sli_events:rate5m{{{SLO}}}", "{{slo_event}}")],
                        "ops",
                    ),
                ],
            ),
            (
                "Alerts",
                [
                    timeseries(
                        "Alert state",
                        "Burn-rate alerts of this SLO (1 = firing or pending).",
                        [(f"ALERTS{{{SLO}}}", "{{severity}} {{alertstate}}")],
                        "none",
                    ),
                    timeseries(
                        "Error budget remaining",
                        "Share of the period's budget left.",
                        [(f"slo:period_error_budget_remaining:ratio{{{SLO}}}", "remaining")],
                        "percentunit",
                    ),
                ],
            ),
        ]
    ),
)
