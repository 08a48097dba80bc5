"""Import OpenSLO v1 `SLO` documents into this project's spec format.

Supported: `ratioMetric` (good or bad over total) and `thresholdMetric` on a Prometheus
histogram (read as "share of observations at or below the threshold"), rolling or
calendar-month `timeWindow`, `Occurrences` budgeting, one objective. Everything else is
reported as not converted, never silently dropped. OpenSLO has no runbook or owner field:
they are read from `metadata.annotations` (`runbook_url`, `owner`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from slo.model import CALENDAR_MONTH, WINDOW_PLACEHOLDER, SpecError, parse_document

_SELECTOR_RE = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$")
KNOWN_SPEC_FIELDS = {
    "description",
    "service",
    "indicator",
    "timeWindow",
    "budgetingMethod",
    "objectives",
}


@dataclass
class Conversion:
    spec: dict[str, Any]
    not_converted: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.spec, sort_keys=False, width=1000)


class _Reader:
    def __init__(self, source: str, name: str):
        self.source, self.name = source, name
        self.not_converted: list[str] = []

    def error(self, field_name: str, message: str) -> SpecError:
        return SpecError(self.source, self.name, field_name, message)

    def skip(self, field_name: str, reason: str) -> None:
        self.not_converted.append(f"{field_name}: {reason}")

    def get(self, data: Any, dotted: str) -> Any:
        value = data
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value

    def query(self, metric: Any, where: str, counter: bool) -> str:
        query = self.get(metric, "metricSource.spec.query")
        source_type = self.get(metric, "metricSource.type")
        if source_type not in (None, "Prometheus", "prometheus"):
            raise self.error(
                f"{where}.metricSource.type", f"only Prometheus is supported, got {source_type!r}"
            )
        if not isinstance(query, str) or not query.strip():
            raise self.error(f"{where}.metricSource.spec.query", "is required")
        if WINDOW_PLACEHOLDER in query:
            return query.strip()
        if counter:
            return f"rate({query.strip()}[{WINDOW_PLACEHOLDER}])"
        raise self.error(
            f"{where}.metricSource.spec.query",
            f"a non-counter query must contain the {WINDOW_PLACEHOLDER} placeholder",
        )


def _objective(reader: _Reader, spec: dict[str, Any]) -> dict[str, Any]:
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        raise reader.error("spec.objectives", "needs one objective")
    if len(objectives) > 1:
        reader.skip("spec.objectives[1:]", "only the first objective is converted")
    objective = objectives[0]
    for key in sorted(set(objective) - {"displayName", "target", "targetPercent", "op", "value"}):
        reader.skip(f"spec.objectives[0].{key}", "not supported")
    return dict(objective)


def _percent(reader: _Reader, objective: dict[str, Any]) -> Decimal:
    if objective.get("targetPercent") is not None:
        return Decimal(str(objective["targetPercent"]))
    if objective.get("target") is not None:
        return Decimal(str(objective["target"])) * 100
    raise reader.error("spec.objectives[0].target", "target or targetPercent is required")


def _period(reader: _Reader, spec: dict[str, Any]) -> str:
    windows = spec.get("timeWindow") or [{"duration": "30d", "isRolling": True}]
    window = windows[0]
    if len(windows) > 1:
        reader.skip("spec.timeWindow[1:]", "only the first time window is converted")
    if window.get("isRolling", True) is False or "calendar" in window:
        if str(window.get("duration")) != "1M":
            raise reader.error("spec.timeWindow[0].duration", "calendar windows must be 1M")
        if window.get("calendar"):
            reader.skip("spec.timeWindow[0].calendar", "months start at 00:00 UTC on the 1st")
        return CALENDAR_MONTH
    return str(window.get("duration", "30d"))


def _sli(reader: _Reader, spec: dict[str, Any], objective: dict[str, Any]) -> dict[str, Any]:
    if spec.get("indicatorRef"):
        raise reader.error("spec.indicatorRef", "put the indicator inline (spec.indicator)")
    indicator_spec = reader.get(spec, "indicator.spec") or {}
    ratio, threshold = indicator_spec.get("ratioMetric"), indicator_spec.get("thresholdMetric")
    for key in ("op", "value"):
        if ratio is not None and objective.get(key) is not None:
            reader.skip(f"spec.objectives[0].{key}", "ignored for a ratio indicator")
    if ratio is not None:
        counter = bool(ratio.get("counter", True))
        events = {
            key: reader.query(ratio[key], f"spec.indicator.spec.ratioMetric.{key}", counter)
            for key in ("good", "bad", "total")
            if ratio.get(key) is not None
        }
        if "rawType" in ratio or "raw" in ratio:
            reader.skip("spec.indicator.spec.ratioMetric.raw", "raw ratios are not supported")
        return {"events": events}
    if threshold is not None:
        where = "spec.indicator.spec.thresholdMetric.metricSource.spec.query"
        query = reader.get(threshold, "metricSource.spec.query") or ""
        match = _SELECTOR_RE.match(query)
        if not match:
            raise reader.error(where, 'must be a histogram selector like metric{label="x"}')
        if objective.get("op") not in ("lte", "lt"):
            raise reader.error(
                "spec.objectives[0].op", "only lte/lt (at most the threshold) is supported"
            )
        latency: dict[str, Any] = {"metric": match.group(1), "threshold": objective.get("value")}
        if match.group(2):
            latency["selector"] = match.group(2).strip()
        return {"latency": latency}
    raise reader.error("spec.indicator", "needs ratioMetric or thresholdMetric")


def convert_document(document: Any, source: str) -> Conversion:
    if not isinstance(document, dict) or document.get("kind") != "SLO":
        raise SpecError(source, None, "kind", "only OpenSLO documents of kind SLO are imported")
    if document.get("apiVersion") != "openslo/v1":
        raise SpecError(source, None, "apiVersion", "must be openslo/v1")
    name = str((document.get("metadata") or {}).get("name", ""))
    reader = _Reader(source, name or "?")
    spec = document.get("spec") or {}
    for key in sorted(set(spec) - KNOWN_SPEC_FIELDS):
        reader.skip(f"spec.{key}", "not supported")
    method = spec.get("budgetingMethod", "Occurrences")
    if method != "Occurrences":
        raise reader.error("spec.budgetingMethod", f"only Occurrences is supported, got {method!r}")
    annotations = reader.get(document, "metadata.annotations") or {}
    labels = reader.get(document, "metadata.labels") or {}
    for key in ("runbook_url", "owner"):
        if not annotations.get(key):
            raise reader.error(
                f"metadata.annotations.{key}", "is required (OpenSLO has no such field)"
            )
    objective = _objective(reader, spec)
    converted = {
        "name": name,
        "description": spec.get("description")
        or reader.get(document, "metadata.displayName")
        or name,
        "objective": float(_percent(reader, objective)),
        "period": _period(reader, spec),
        "sli": _sli(reader, spec, objective),
        "runbook_url": annotations["runbook_url"],
    }
    if labels:
        converted["labels"] = {str(k): str(v) for k, v in labels.items()}
    result = {
        "version": 1,
        "service": spec.get("service"),
        "owner": annotations["owner"],
        "slos": [converted],
    }
    parse_document(result, source)  # the converted spec must pass our own validation
    return Conversion(spec=result, not_converted=reader.not_converted)


def import_file(path: Path) -> list[Conversion]:
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise SpecError(str(path), None, None, f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError:
        raise SpecError(str(path), None, None, "not valid YAML") from None
    return [convert_document(document, str(path)) for document in documents if document]
