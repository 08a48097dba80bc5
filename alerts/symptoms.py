"""Symptom alerts: causes an SRE wants to see beside the SLO burn (which says *that* users
hurt, not *why*). Each carries `service` and `severity` so Alertmanager can route it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slo.model import format_duration
from slo.profiles import Profile

# Components Prometheus scrapes (job = component name, docs/architecture.md).
COMPONENTS = (
    "gateway",
    "user-service",
    "product-service",
    "order-service",
    "payment-service",
    "payment-provider",
    "probe-runner",
    "harness",
    "prometheus",
    "alertmanager",
)
RUNBOOK_BASE = "https://runbooks.example.com/commerce/symptoms"


@dataclass(frozen=True)
class Symptom:
    name: str
    severity: str
    # PromQL with `{window}` for a range and a `service` label in its result.
    expr: str
    for_seconds: int
    summary: str
    description: str
    window_seconds: int = 300


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        name="TargetDown",
        severity="page",
        expr='label_replace(up{job=~"' + "|".join(COMPONENTS) + '"} == 0, '
        '"service", "$1", "job", "(.*)")',
        for_seconds=60,
        summary="{{ $labels.job }} is down",
        description="Prometheus cannot scrape {{ $labels.instance }} of {{ $labels.job }}.",
    ),
    Symptom(
        name="OutboxBacklogGrowing",
        severity="ticket",
        expr="(max by (service) (outbox_pending_events) > 100)\n"
        "and\n(max by (service) (deriv(outbox_pending_events[{window}])) > 0)",
        for_seconds=600,
        window_seconds=600,
        summary="Outbox of {{ $labels.service }} keeps growing",
        description="More than 100 events wait in the outbox of {{ $labels.service }} and the "
        "backlog still grows: the relay cannot publish (broker down or slow?).",
    ),
    Symptom(
        name="ConsumerDeadLettering",
        severity="ticket",
        expr='sum by (service, topic) (rate(events_consumed_total{result="dead_lettered"}'
        "[{window}])) > 0",
        for_seconds=300,
        summary="{{ $labels.service }} dead-letters events from {{ $labels.topic }}",
        description="Events of {{ $labels.topic }} go to the dead-letter topic: they will not "
        "be applied without a replay.",
    ),
    Symptom(
        name="CircuitBreakerOpen",
        severity="ticket",
        # Open at some point in every window: an open breaker lets one trial call through
        # after its reset timeout (half-open, 1) and reopens when it fails, so a breaker
        # held open by a dead peer flickers between 2 and 1 between scrapes.
        expr="max by (service, peer) (max_over_time(circuit_breaker_state[{window}])) == 2",
        for_seconds=60,
        window_seconds=60,
        summary="{{ $labels.service }} has opened its circuit breaker to {{ $labels.peer }}",
        description="Calls from {{ $labels.service }} to {{ $labels.peer }} fail fast because "
        "the peer kept failing.",
    ),
    Symptom(
        name="ProbeJourneyFailing",
        severity="page",
        expr='label_replace(min by (journey) (probe_success) == 0, "service", "probe-runner", '
        '"", "")',
        for_seconds=120,
        summary="Synthetic journey {{ $labels.journey }} fails",
        description="The probe runner's last runs of {{ $labels.journey }} failed.",
    ),
)


def symptom_rules(profile: Profile) -> dict[str, Any]:
    """One rule group with every symptom alert; durations scaled by the profile."""
    rules = []
    for symptom in SYMPTOMS:
        window = format_duration(profile.duration(symptom.window_seconds))
        rules.append(
            {
                "alert": symptom.name,
                "expr": symptom.expr.replace("{window}", window),
                "for": format_duration(profile.duration(symptom.for_seconds)),
                "labels": {"severity": symptom.severity},
                "annotations": {
                    "summary": symptom.summary,
                    "description": symptom.description,
                    "runbook_url": f"{RUNBOOK_BASE}#{symptom.name.lower()}",
                },
            }
        )
    group: dict[str, Any] = {"name": "symptoms"}
    if profile.evaluation_interval:
        group["interval"] = format_duration(profile.evaluation_interval)
    group["rules"] = rules
    return group
