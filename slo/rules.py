"""SLO -> Prometheus recording rules and multiwindow multi-burn-rate alerts.

Recording rules per SLO (13, like Sloth's 7 SLI windows + 6 metadata rules, names kept):

* `slo:sli_events:rate5m{slo_event="bad"|"total"}`: the SLI's bad and total event rates
  over the base window, one rule with two series. Everything else derives from it, which
  makes every window's ratio traffic-weighted (a sum of events over a sum of events) and
  not an average of ratios.
* `slo:sli_error:ratio_rate<window>` for each alert window and for the period.
* `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:current_burn_rate:ratio`,
  `slo:period_error_budget_remaining:ratio`.

Names carry the nominal (default-profile) window so alerts and dashboards read the same
in every profile; the `slo_window` label carries the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from slo.model import (
    CALENDAR_MONTH,
    SLO,
    WINDOW_PLACEHOLDER,
    AlertTier,
    EventsSLI,
    LatencySLI,
    format_decimal,
    format_duration,
)
from slo.profiles import Profile

BASE_WINDOW = 300  # nominal 5m: the rate every other window is summed from
EVENTS_RECORD = "slo:sli_events:rate5m"
# Dividing by at least this many events/s turns 0/0 (no traffic) into 0 instead of NaN.
NO_TRAFFIC_FLOOR = "1e-12"
# Sampling step of the calendar-month subquery.
CALENDAR_STEP = "5m"


def error_ratio_record(nominal_window: int) -> str:
    return f"slo:sli_error:ratio_rate{format_duration(nominal_window)}"


def period_record(slo: SLO) -> str:
    if slo.calendar_month:
        return "slo:sli_error:ratio_rate_calendar_month"
    return error_ratio_record(slo.nominal_period_seconds)


def camel(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace("_", "-").split("-"))


def alert_name(slo: SLO) -> str:
    return f"{camel(slo.service)}{camel(slo.name)}BudgetBurn"


def slo_selector(slo: SLO, **extra: str) -> str:
    matchers = {"slo_service": slo.service, "slo_name": slo.name, **extra}
    return "{" + ", ".join(f'{key}="{value}"' for key, value in matchers.items()) + "}"


def dashboard_url(slo: SLO) -> str:
    """Relative Grafana link to the SLO detail dashboard; prefix it with Grafana's base URL."""
    return f"/d/slo-detail/slo-detail?var-slo_service={slo.service}&var-slo_name={slo.name}"


def alert_windows(slo: SLO) -> list[int]:
    """Nominal windows that get an error-ratio rule: the base window and every tier's."""
    windows = {BASE_WINDOW}
    for tier in slo.tiers:
        windows.update((tier.long_window, tier.short_window))
    return sorted(windows)


# --------------------------------------------------------------------------- SLI queries


def _fill(query: str, window: str) -> str:
    return query.replace(WINDOW_PLACEHOLDER, window)


def _event_queries(slo: SLO, window: str) -> tuple[str, str]:
    """(bad, total) event-rate expressions, each one label-less series."""
    sli = slo.sli
    if isinstance(sli, LatencySLI):
        extra = f", {sli.selector}" if sli.selector else ""
        total = f"sum(rate({sli.metric}_count{{{sli.selector}}}[{window}]))"
        good = f'sum(rate({sli.metric}_bucket{{le=~"{sli.bucket_matcher()}"{extra}}}[{window}]))'
        return f"({total} - ({good} or 0 * {total}))", total
    assert isinstance(sli, EventsSLI)
    total = f"sum({_fill(sli.total, window)})"
    if sli.bad is not None:
        bad = f"sum({_fill(sli.bad, window)})"
        # No bad series at all (nothing ever failed) means zero bad events, not no data.
        return f"({bad} or 0 * {total})", total
    assert sli.good is not None
    good = f"sum({_fill(sli.good, window)})"
    return f"({total} - ({good} or 0 * {total}))", total


def events_expression(slo: SLO, window: str) -> str:
    bad, total = _event_queries(slo, window)
    return (
        f'label_replace({bad}, "slo_event", "bad", "", "")\n'
        f'or\nlabel_replace({total}, "slo_event", "total", "", "")'
    )


def _ratio(numerator: str, denominator: str) -> str:
    return f"{numerator}\n/ ignoring (slo_event)\nclamp_min({denominator}, {NO_TRAFFIC_FLOOR})"


def window_ratio_expression(slo: SLO, window: str | None) -> str:
    """Error ratio over `window` from the recorded event rates; None means the base window."""
    bad = f"{EVENTS_RECORD}{slo_selector(slo, slo_event='bad')}"
    total = f"{EVENTS_RECORD}{slo_selector(slo, slo_event='total')}"
    if window is None:
        return _ratio(bad, total)
    return _ratio(f"sum_over_time({bad}[{window}])", f"sum_over_time({total}[{window}])")


def calendar_month_expression(slo: SLO) -> str:
    """Month-to-date error ratio: sum only the samples whose month is the current one.

    `@ end()` pins the objective series to the evaluation time inside the subquery, so
    `month()` of each step is compared with the month of "now".
    """
    now_month = f"month(timestamp(slo:objective:ratio{slo_selector(slo)} @ end()))"

    def month_to_date(event: str) -> str:
        series = f"{EVENTS_RECORD}{slo_selector(slo, slo_event=event)}"
        this_month = f"{series} and on () (month() == on () {now_month})"
        return f"sum_over_time(({this_month})[31d:{CALENDAR_STEP}])"

    return _ratio(month_to_date("bad"), month_to_date("total"))


# --------------------------------------------------------------------------- rule groups


@dataclass(frozen=True)
class RuleGroups:
    recording: dict[str, Any]
    alerting: dict[str, Any]


def _group(name: str, rules: list[dict[str, Any]], profile: Profile) -> dict[str, Any]:
    group: dict[str, Any] = {"name": name}
    if profile.evaluation_interval:
        group["interval"] = format_duration(profile.evaluation_interval)
    group["rules"] = rules
    return group


def recording_rules(slo: SLO, profile: Profile) -> list[dict[str, Any]]:
    base = format_duration(profile.window(slo, BASE_WINDOW))
    labels = {"slo_service": slo.service, "slo_name": slo.name, **slo.labels}

    def record(name: str, expr: str, window: str | None) -> dict[str, Any]:
        rule_labels = dict(labels) if window is None else {**labels, "slo_window": window}
        return {"record": name, "expr": expr, "labels": rule_labels}

    budget = format_decimal(slo.error_budget)
    rules = [
        # Metadata first: the calendar-month rule reads the objective's timestamp.
        record("slo:objective:ratio", f"vector({format_decimal(slo.objective_ratio)})", None),
        record("slo:error_budget:ratio", f"vector({budget})", None),
        record(EVENTS_RECORD, events_expression(slo, base), base),
    ]
    for nominal in alert_windows(slo):
        real = format_duration(profile.window(slo, nominal))
        window = None if nominal == BASE_WINDOW else real
        rules.append(
            record(error_ratio_record(nominal), window_ratio_expression(slo, window), real)
        )
    if slo.calendar_month and not profile.scaled:
        period_expr, period_window = calendar_month_expression(slo), CALENDAR_MONTH
    else:
        period_window = format_duration(profile.window(slo, slo.nominal_period_seconds))
        period_expr = window_ratio_expression(slo, period_window)
    rules.append(record(period_record(slo), period_expr, period_window))
    rules.append(
        record(
            "slo:current_burn_rate:ratio",
            f"{error_ratio_record(BASE_WINDOW)}{slo_selector(slo)} / {budget}",
            base,
        )
    )
    rules.append(
        record(
            "slo:period_error_budget_remaining:ratio",
            f"1 - {period_record(slo)}{slo_selector(slo)} / {budget}",
            period_window,
        )
    )
    return rules


def tier_threshold(slo: SLO, tier: AlertTier) -> Decimal:
    return tier.burn_rate * slo.error_budget


def _tier_condition(slo: SLO, tier: AlertTier, profile: Profile) -> str:
    threshold = format_decimal(tier_threshold(slo, tier))
    parts = [
        f"max without (slo_window) ({error_ratio_record(window)}{slo_selector(slo)} > {threshold})"
        for window in (tier.long_window, tier.short_window)
    ]
    if slo.min_event_rate > 0:
        long_window = format_duration(profile.window(slo, tier.long_window))
        total = f"{EVENTS_RECORD}{slo_selector(slo, slo_event='total')}"
        parts.append(
            f"on (slo_service, slo_name) (avg_over_time({total}[{long_window}]) >= "
            f"{format_decimal(slo.min_event_rate)})"
        )
    return "(\n  " + "\nand\n  ".join(parts) + "\n)"


def _describe_tier(slo: SLO, tier: AlertTier, profile: Profile) -> str:
    long_window = format_duration(profile.window(slo, tier.long_window))
    short_window = format_duration(profile.window(slo, tier.short_window))
    spent = tier.burn_rate * Decimal(tier.long_window) / Decimal(slo.nominal_period_seconds) * 100
    return (
        f"{format_decimal(tier.burn_rate)}x over {long_window} (confirmed over {short_window}; "
        f"{format_decimal(round(spent, 1))}% of the budget)"
    )


def alert_rules(slo: SLO, profile: Profile) -> list[dict[str, Any]]:
    period = slo.period_label
    if profile.scaled:
        period = f"{format_duration(profile.window(slo, slo.nominal_period_seconds))} (game)"
    rules = []
    for severity in ("page", "ticket"):
        tiers = [tier for tier in slo.tiers if tier.severity == severity]
        if not tiers:
            continue
        burns = "; or ".join(_describe_tier(slo, tier, profile) for tier in tiers)
        rules.append(
            {
                "alert": alert_name(slo),
                "expr": "\nor\n".join(_tier_condition(slo, tier, profile) for tier in tiers),
                "labels": {"severity": severity, "service": slo.service, "owner": slo.owner},
                "annotations": {
                    "summary": f"{slo.service} SLO {slo.name} is burning its error budget "
                    f"({severity})",
                    "description": f"{slo.description} Objective {format_decimal(slo.objective)}%"
                    f" over {period}. Fires on an error-budget burn rate of {burns}.",
                    "runbook_url": slo.runbook_url,
                    "dashboard_url": dashboard_url(slo),
                },
            }
        )
    return rules


def rule_groups(slo: SLO, profile: Profile) -> RuleGroups:
    return RuleGroups(
        recording=_group(f"slo-{slo.slug}", recording_rules(slo, profile), profile),
        alerting=_group(f"slo-{slo.slug}-alerts", alert_rules(slo, profile), profile),
    )
