"""Alertmanager configuration: routes by service, then severity; a page of an SLO inhibits
its ticket; every receiver is the harness' webhook.

Receivers are named `harness-<service>` so a webhook payload's `receiver` says which route
matched. The webhook URL defaults to the harness' alert receiver; the local platform
rewrites it when it renders the run's config (see docs/slo.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8009/alerts"

# (group_wait, group_interval, repeat_interval) per severity: pages reach someone fast.
TIMINGS = {
    "default": {"page": ("10s", "1m", "1h"), "ticket": ("1m", "10m", "12h")},
    # A game day lasts an hour: deliver within seconds so time-to-detect is measurable.
    "game": {"page": ("1s", "5s", "5m"), "ticket": ("1s", "5s", "15m")},
}


def _receiver(name: str, webhook_url: str) -> dict[str, Any]:
    return {
        "name": name,
        "webhook_configs": [{"url": webhook_url, "send_resolved": True}],
    }


def alertmanager_config(
    services: Iterable[str], profile: str = "default", webhook_url: str = DEFAULT_WEBHOOK_URL
) -> dict[str, Any]:
    services = sorted(set(services))
    severity_routes = [
        {
            "matchers": [f'severity="{severity}"'],
            "group_wait": wait,
            "group_interval": interval,
            "repeat_interval": repeat,
        }
        for severity, (wait, interval, repeat) in TIMINGS[profile].items()
    ]
    return {
        "route": {
            "receiver": "harness",
            "group_by": ["alertname", "service", "slo_name"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "matchers": [f'service="{service}"'],
                    "receiver": f"harness-{service}",
                    "routes": severity_routes,
                }
                for service in services
            ],
        },
        "inhibit_rules": [
            {
                # Only SLO alerts: without `slo_name=~".+"` a page would silence every
                # symptom ticket, since labels missing on both sides count as equal.
                "source_matchers": ['severity="page"', 'slo_name=~".+"'],
                "target_matchers": ['severity="ticket"', 'slo_name=~".+"'],
                "equal": ["slo_service", "slo_name"],
            }
        ],
        "receivers": [_receiver("harness", webhook_url)]
        + [_receiver(f"harness-{service}", webhook_url) for service in services],
    }
