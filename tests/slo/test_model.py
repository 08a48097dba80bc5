"""Spec validation: errors name the file, the SLO and the field; budgets are exact."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo.model import KNOWN_BUCKETS, SpecError, load_spec_file, load_specs
from slo.rules import tier_threshold
from system_under_test.common import metrics

SPECS = Path(__file__).resolve().parents[2] / "slo" / "specs"


def spec(**overrides: Any) -> dict[str, Any]:
    slo = {
        "name": "browse",
        "description": "Browsing works.",
        "objective": 99.9,
        "sli": {
            "events": {
                "bad": 'rate(x_total{code="5xx"}[{{window}}])',
                "total": "rate(x_total[{{window}}])",
            }
        },
        "runbook_url": "https://runbooks.example.com/x",
    }
    slo.update(overrides)
    return {"version": 1, "service": "gateway", "owner": "team", "slos": [slo]}


def load(tmp_path: Path, document: dict[str, Any]) -> list[Any]:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    return load_spec_file(path)


def test_platform_specs_cover_the_required_slos() -> None:
    slugs = {slo.slug for slo in load_specs(SPECS)}
    for group in ("browse", "auth", "checkout"):
        assert f"gateway-{group}-availability" in slugs
        assert f"gateway-{group}-latency" in slugs
    assert "order-service-order-completion" in slugs
    assert "probe-runner-journeys-success" in slugs


def test_known_buckets_match_the_metric_contract() -> None:
    assert KNOWN_BUCKETS["http_server_request_duration_seconds"] == tuple(
        Decimal(str(b)) for b in metrics.LATENCY_BUCKETS
    )
    assert KNOWN_BUCKETS["order_completion_seconds"] == tuple(
        Decimal(str(b)) for b in metrics.COMPLETION_BUCKETS
    )


def test_budget_arithmetic_is_exact(tmp_path: Path) -> None:
    (slo,) = load(tmp_path, spec(objective=99.9))
    assert slo.error_budget == Decimal("0.001")
    assert str(slo.objective_ratio) == "0.999"
    assert [str(tier_threshold(slo, tier)) for tier in slo.tiers] == [
        "0.0144",
        "0.006",
        "0.003",
        "0.001",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"objective": 100}, "objective", "between 0 and 100"),
        ({"objective": "high"}, "objective", "must be a number"),
        ({"period": "a month"}, "period", "duration"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"runbook_url": None}, "runbook_url", "is required"),
        (
            {"sli": {"events": {"bad": "rate(x[5m])", "total": "rate(y[{{window}}])"}}},
            "sli.events.bad",
            "{{window}}",
        ),
        ({"sli": {"events": {"total": "rate(y[{{window}}])"}}}, "sli.events", "exactly one"),
        (
            {
                "sli": {
                    "latency": {"metric": "http_server_request_duration_seconds", "threshold": 0.3}
                }
            },
            "sli.latency.threshold",
            "not a bucket edge",
        ),
        (
            {"sli": {"latency": {"metric": "mystery_seconds", "threshold": 1}}},
            "sli.latency.buckets",
            "unknown",
        ),
        ({"objective": 90}, "alerting.tiers[0]", "can never fire"),
        (
            {
                "alerting": {
                    "tiers": [
                        {
                            "severity": "page",
                            "burn_rate": 2,
                            "long_window": "5m",
                            "short_window": "1h",
                        }
                    ]
                }
            },
            "alerting.tiers[0].short_window",
            "shorter",
        ),
        (
            {
                "alerting": {
                    "tiers": [
                        {
                            "severity": "email",
                            "burn_rate": 2,
                            "long_window": "1h",
                            "short_window": "5m",
                        }
                    ]
                }
            },
            "alerting.tiers[0].severity",
            "one of",
        ),
        ({"labels": {"severity": "x"}}, "labels", "set by the generator"),
    ],
)
def test_validation_errors_name_file_slo_and_field(
    tmp_path: Path, overrides: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(SpecError) as caught:
        load(tmp_path, spec(**overrides))
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "spec.yaml"))
    assert "slo 'browse'" in message
    assert f"field '{field}'" in message
    assert fragment in message


def test_never_firing_tier_is_explained(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"14\.4 x error budget 0\.1 = 1\.44 needs an error ratio"):
        load(tmp_path, spec(objective=90))


def test_calendar_month_period(tmp_path: Path) -> None:
    (slo,) = load(tmp_path, spec(period="calendar-month"))
    assert slo.calendar_month and slo.period_label == "calendar-month"


def test_duplicate_slo_names_are_rejected(tmp_path: Path) -> None:
    document = spec()
    document["slos"].append(document["slos"][0])
    with pytest.raises(SpecError, match="used twice"):
        load(tmp_path, document)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("service: [unclosed\n")
    with pytest.raises(SpecError, match=r"broken\.yaml: not valid YAML \(line"):
        load_spec_file(path)
