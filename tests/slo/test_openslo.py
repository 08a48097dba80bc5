"""OpenSLO v1 import: ratio and threshold indicators, unsupported fields reported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from slo.model import LatencySLI, SpecError, parse_document
from slo.openslo import import_file

RATIO = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  displayName: Checkout availability
  annotations: {runbook_url: "https://runbooks.example.com/c", owner: team-checkout}
  labels: {tier: "1"}
spec:
  service: gateway
  description: Checkout answers.
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  indicator:
    metadata: {name: checkout-errors}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code="500"}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total'}}}
  objectives: [{displayName: good, target: 0.999}]
  alertPolicies: [page-fast]
"""

THRESHOLD = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: browse-latency
  annotations: {runbook_url: "https://runbooks.example.com/b", owner: team-platform}
spec:
  service: gateway
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2024-01-01 00:00:00", timeZone: UTC}
  indicator:
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec: {query: 'http_server_request_duration_seconds{service="gateway"}'}
  objectives: [{op: lte, value: 0.25, targetPercent: 99}]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "openslo.yaml"
    path.write_text(text)
    return path


def test_ratio_indicator_is_converted_and_unsupported_fields_reported(tmp_path: Path) -> None:
    (conversion,) = import_file(write(tmp_path, RATIO))
    (slo,) = parse_document(conversion.spec, "converted")
    assert slo.objective == Decimal("99.9")
    assert slo.period_seconds == 28 * 86400
    assert slo.sli.bad == 'rate(http_requests_total{code="500"}[{{window}}])'  # type: ignore[union-attr]
    assert slo.labels == {"tier": "1"} and slo.owner == "team-checkout"
    assert conversion.not_converted == ["spec.alertPolicies: not supported"]


def test_threshold_indicator_becomes_a_latency_sli(tmp_path: Path) -> None:
    (conversion,) = import_file(write(tmp_path, THRESHOLD))
    (slo,) = parse_document(conversion.spec, "converted")
    assert isinstance(slo.sli, LatencySLI)
    assert slo.sli.threshold == Decimal("0.25") and slo.sli.selector == 'service="gateway"'
    assert slo.calendar_month
    assert any("calendar" in item for item in conversion.not_converted)


def test_threshold_off_bucket_edge_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not a bucket edge"):
        import_file(write(tmp_path, THRESHOLD.replace("value: 0.25", "value: 0.3")))


def test_timeslices_budgeting_is_rejected_not_ignored(tmp_path: Path) -> None:
    text = RATIO.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices")
    with pytest.raises(SpecError, match=r"field 'spec\.budgetingMethod': only Occurrences"):
        import_file(write(tmp_path, text))
