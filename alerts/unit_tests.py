"""promtool unit tests for every SLO alert: input series that must fire the page, must fire
the ticket, must not fire, and must stop paging once the errors stop.

Input series are the recorded event rates (`slo:sli_events:rate5m`), so one scenario fits
any SLI query; the queries themselves are checked by `promtool check rules` and by the
real-Prometheus outage test. The expected alerts come from a small model of the rules
(closed range windows, as in Prometheus 2.x); a scenario whose outcome would sit within
5% of a threshold is left out rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from slo.model import SLO, AlertTier, format_decimal, format_duration
from slo.profiles import Profile
from slo.rules import BASE_WINDOW, EVENTS_RECORD, alert_name, alert_rules, tier_threshold

MARGIN = Decimal("0.05")
DEFAULT_INTERVAL = 60


@dataclass(frozen=True)
class Phase:
    samples: int
    error_ratio: Decimal


@dataclass(frozen=True)
class Scenario:
    name: str
    phases: tuple[Phase, ...]
    total_rate: Decimal


class Ambiguous(Exception):
    """The scenario lands too close to a threshold to predict."""


def _interval(profile: Profile) -> int:
    return profile.evaluation_interval or DEFAULT_INTERVAL


def _window_ratio(scenario: Scenario, window: int | None, interval: int) -> Decimal:
    """Error ratio the rules record at the last sample, over `window` seconds (None = last)."""
    ratios = [phase.error_ratio for phase in scenario.phases for _ in range(phase.samples)]
    count = 1 if window is None else min(len(ratios), window // interval + 1)
    # Constant total rate: the traffic-weighted ratio is the mean of the sample ratios.
    return sum(ratios[-count:], Decimal(0)) / count


def _above(value: Decimal, threshold: Decimal) -> bool:
    if abs(value - threshold) <= threshold * MARGIN:
        raise Ambiguous
    return value > threshold


def _tier_fires(slo: SLO, tier: AlertTier, scenario: Scenario, profile: Profile) -> bool:
    interval = _interval(profile)
    threshold = tier_threshold(slo, tier)
    for nominal in (tier.long_window, tier.short_window):
        window = None if nominal == BASE_WINDOW else profile.window(slo, nominal)
        if not _above(_window_ratio(scenario, window, interval), threshold):
            return False
    # Scenarios keep traffic far from the guard: 10x above it or half of it.
    return scenario.total_rate >= slo.min_event_rate


def scenarios(slo: SLO, profile: Profile) -> list[Scenario]:
    interval = _interval(profile)
    budget = slo.error_budget
    total = max(Decimal(10), slo.min_event_rate * 10)
    base_samples = profile.window(slo, BASE_WINDOW) // interval + 1
    page_short = max(
        (profile.window(slo, t.short_window) for t in slo.tiers if t.severity == "page"),
        default=profile.window(slo, BASE_WINDOW),
    )
    recovery_samples = (page_short + profile.window(slo, BASE_WINDOW)) // interval + 2
    found = [
        Scenario("total outage", (Phase(base_samples, Decimal(1)),), total),
        Scenario("slow burn at 2x", (Phase(base_samples, 2 * budget),), total),
        Scenario("errors within budget", (Phase(base_samples, budget / 2),), total),
        Scenario(
            "outage then recovery",
            (Phase(base_samples * 2, Decimal(1)), Phase(recovery_samples, Decimal(0))),
            total,
        ),
    ]
    if slo.min_event_rate > 0:
        found.append(
            Scenario(
                "outage below the traffic guard",
                (Phase(base_samples, Decimal(1)),),
                slo.min_event_rate / 2,
            )
        )
    return found


def _values(scenario: Scenario, event: str) -> str:
    parts = []
    for phase in scenario.phases:
        rate = scenario.total_rate * (phase.error_ratio if event == "bad" else 1)
        value = format_decimal(rate)
        parts.append(value if phase.samples == 1 else f"{value}x{phase.samples - 1}")
    return " ".join(parts)


def _series_labels(slo: SLO, profile: Profile, event: str) -> str:
    labels = {
        "slo_service": slo.service,
        "slo_name": slo.name,
        "slo_window": format_duration(profile.window(slo, BASE_WINDOW)),
        "slo_event": event,
        **slo.labels,
    }
    return EVENTS_RECORD + "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _test_case(slo: SLO, profile: Profile, scenario: Scenario) -> dict[str, Any]:
    interval = _interval(profile)
    samples = sum(phase.samples for phase in scenario.phases)
    rules = {rule["labels"]["severity"]: rule for rule in alert_rules(slo, profile)}
    expected = []
    for severity, rule in rules.items():
        tiers = [tier for tier in slo.tiers if tier.severity == severity]
        if any(_tier_fires(slo, tier, scenario, profile) for tier in tiers):
            labels = {
                "slo_service": slo.service,
                "slo_name": slo.name,
                **slo.labels,
                **rule["labels"],
            }
            expected.append({"exp_labels": labels, "exp_annotations": rule["annotations"]})
    return {
        "name": f"{slo.slug}: {scenario.name}",
        "interval": format_duration(interval),
        "input_series": [
            {"series": _series_labels(slo, profile, event), "values": _values(scenario, event)}
            for event in ("bad", "total")
        ],
        "alert_rule_test": [
            {
                "eval_time": format_duration((samples - 1) * interval),
                "alertname": alert_name(slo),
                "exp_alerts": expected,
            }
        ],
    }


def unit_test_document(slo: SLO, profile: Profile, rule_files: list[str]) -> dict[str, Any]:
    """The promtool test file for one SLO; `rule_files` are relative to the test file."""
    tests = []
    for scenario in scenarios(slo, profile):
        try:
            tests.append(_test_case(slo, profile, scenario))
        except Ambiguous:
            continue
    return {
        "rule_files": rule_files,
        "evaluation_interval": format_duration(_interval(profile)),
        "tests": tests,
    }
