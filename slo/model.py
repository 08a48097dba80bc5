"""The SLO model: spec files (slo/specs/*.yaml) -> validated, immutable `SLO` objects.

Ratios and budgets are `Decimal` so that generated rules read `0.999`, never
`0.9990000000000001`. Every validation error names the file, the SLO and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

# Bucket edges of the contract's histograms (docs/architecture.md). A latency SLI on
# another histogram lists its own `buckets`.
KNOWN_BUCKETS: dict[str, tuple[Decimal, ...]] = {
    "http_server_request_duration_seconds": tuple(
        Decimal(b) for b in [".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5", "10"]
    ),
    "order_completion_seconds": tuple(
        Decimal(b) for b in [".1", ".25", ".5", "1", "2.5", "5", "10", "30", "60", "120"]
    ),
}

SEVERITIES = ("page", "ticket")
CALENDAR_MONTH = "calendar-month"
# A calendar month is budgeted like 30 days when a nominal length is needed (scaling).
CALENDAR_MONTH_NOMINAL_SECONDS = 30 * 86400
WINDOW_PLACEHOLDER = "{{window}}"

_DURATION_RE = re.compile(r"^(\d+)(s|m|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_METRIC_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
RESERVED_LABELS = frozenset(
    {
        "slo_service",
        "slo_name",
        "slo_window",
        "slo_event",
        "severity",
        "service",
        "owner",
        "alertname",
    }
)


class SpecError(Exception):
    """A spec that cannot be used; the message names file, SLO and field."""

    def __init__(self, source: str, slo: str | None, field_name: str | None, message: str):
        self.source, self.slo, self.field_name, self.message = source, slo, field_name, message
        where = [source]
        if slo:
            where.append(f"slo {slo!r}")
        if field_name:
            where.append(f"field {field_name!r}")
        super().__init__(f"{': '.join(where)}: {message}")


def parse_duration(text: str) -> int:
    """'5m' -> 300. Only single-unit Prometheus durations (s, m, h, d, w)."""
    match = _DURATION_RE.match(text.strip()) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"expected a duration like 5m, 1h or 30d, got {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_duration(seconds: int) -> str:
    """300 -> '5m': the largest unit that divides evenly (Prometheus syntax)."""
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def format_decimal(value: Decimal) -> str:
    """Plain notation without float artefacts or exponents: Decimal('0.0144') -> '0.0144'."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class AlertTier:
    """One multiwindow burn-rate condition (Google SRE workbook, chapter 5)."""

    severity: str
    burn_rate: Decimal
    long_window: int  # seconds
    short_window: int  # seconds


# The workbook's table for a 30-day period: page 14.4x (1h/5m) or 6x (6h/30m); ticket 3x
# (1d/2h) or 1x (3d/6h).
DEFAULT_TIERS: tuple[AlertTier, ...] = (
    AlertTier("page", Decimal("14.4"), 3600, 300),
    AlertTier("page", Decimal("6"), 6 * 3600, 1800),
    AlertTier("ticket", Decimal("3"), 86400, 2 * 3600),
    AlertTier("ticket", Decimal("1"), 3 * 86400, 6 * 3600),
)


@dataclass(frozen=True)
class EventsSLI:
    """Ratio of events: `bad`/`total` or `good`/`total` PromQL with a `{{window}}` placeholder."""

    total: str
    bad: str | None = None
    good: str | None = None


@dataclass(frozen=True)
class LatencySLI:
    """Share of histogram observations above `threshold` (which must be a bucket edge)."""

    metric: str
    threshold: Decimal
    selector: str = ""

    def bucket_matcher(self) -> str:
        """PromQL regex (escaped for a double-quoted string) matching the `le` label as any
        client writes it: '1' (Go) or '1.0' (Python)."""
        plain = format_decimal(self.threshold)
        forms = [plain]
        if "." not in plain:
            forms.append(f"{plain}.0")
        return "|".join(re.escape(form).replace("\\", "\\\\") for form in forms)


@dataclass(frozen=True)
class SLO:
    service: str
    name: str
    description: str
    objective: Decimal  # percent, e.g. 99.9
    sli: EventsSLI | LatencySLI
    owner: str
    runbook_url: str
    period_seconds: int | None = 30 * 86400  # rolling window; None for a calendar month
    tiers: tuple[AlertTier, ...] = DEFAULT_TIERS
    min_event_rate: Decimal = Decimal(0)  # events/s over an alert's long window
    labels: Mapping[str, str] = field(default_factory=dict)
    source: str = "<memory>"

    @property
    def objective_ratio(self) -> Decimal:
        return self.objective / 100

    @property
    def error_budget(self) -> Decimal:
        return 1 - self.objective_ratio

    @property
    def calendar_month(self) -> bool:
        return self.period_seconds is None

    @property
    def nominal_period_seconds(self) -> int:
        return self.period_seconds or CALENDAR_MONTH_NOMINAL_SECONDS

    @property
    def period_label(self) -> str:
        return (
            CALENDAR_MONTH if self.period_seconds is None else format_duration(self.period_seconds)
        )

    @property
    def slug(self) -> str:
        return f"{self.service}-{self.name}"


# --------------------------------------------------------------------------- parsing


class _Fields:
    """Reads one mapping of a spec, remembering where it is for error messages."""

    def __init__(
        self, data: Any, source: str, slo: str | None, prefix: str, allowed: Iterable[str]
    ):
        self.source, self.slo, self.prefix = source, slo, prefix
        if not isinstance(data, dict):
            raise self.error(None, f"expected a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise self.error(unknown[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")
        self.data = data

    def path(self, key: str | None) -> str | None:
        if key is None:
            return self.prefix or None
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str | None, message: str) -> SpecError:
        return SpecError(self.source, self.slo, self.path(key), message)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value.strip()

    def decimal(self, key: str, default: Decimal | None = None) -> Decimal:
        value = self.data.get(key)
        if value is None:
            if default is None:
                raise self.error(key, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(key, f"must be a number, got {value!r}")
        try:
            # str() first: 99.9 as a float must become Decimal('99.9'), not its binary value.
            return Decimal(str(value))
        except InvalidOperation:
            raise self.error(key, f"must be a number, got {value!r}") from None

    def duration(self, key: str, default: str | None = None) -> int:
        text = self.text(key, default)
        try:
            return parse_duration(text)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def labels(self, key: str) -> dict[str, str]:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise self.error(key, "must be a mapping of label name to value")
        labels: dict[str, str] = {}
        for name, label_value in value.items():
            if not isinstance(name, str) or not _LABEL_RE.match(name):
                raise self.error(key, f"invalid label name {name!r}")
            if name in RESERVED_LABELS:
                raise self.error(key, f"label {name!r} is set by the generator")
            labels[name] = str(label_value)
        return labels


def _parse_sli(data: Any, source: str, slo: str) -> EventsSLI | LatencySLI:
    sli = _Fields(data, source, slo, "sli", ("events", "latency"))
    if sli.has("events") == sli.has("latency"):
        raise sli.error(None, "needs exactly one of 'events' or 'latency'")
    if sli.has("events"):
        events = _Fields(sli.data["events"], source, slo, "sli.events", ("bad", "good", "total"))
        if events.has("bad") == events.has("good"):
            raise events.error(None, "needs exactly one of 'bad' or 'good' beside 'total'")
        queries = {key: events.text(key) for key in ("bad", "good", "total") if events.has(key)}
        if "total" not in queries:
            raise events.error("total", "is required")
        for key, query in queries.items():
            if WINDOW_PLACEHOLDER not in query:
                raise events.error(key, f"must contain the {WINDOW_PLACEHOLDER} placeholder")
        return EventsSLI(total=queries["total"], bad=queries.get("bad"), good=queries.get("good"))
    latency = _Fields(
        sli.data["latency"],
        source,
        slo,
        "sli.latency",
        ("metric", "threshold", "selector", "buckets"),
    )
    metric = latency.text("metric")
    if not _METRIC_RE.match(metric) or metric.endswith(("_bucket", "_count", "_sum")):
        raise latency.error("metric", "must be a histogram's base name (no _bucket/_count suffix)")
    threshold = latency.decimal("threshold")
    if latency.has("buckets"):
        raw = latency.data["buckets"]
        if not isinstance(raw, list) or not raw:
            raise latency.error("buckets", "must be a list of bucket upper bounds")
        buckets = tuple(Decimal(str(edge)) for edge in raw)
    elif metric in KNOWN_BUCKETS:
        buckets = KNOWN_BUCKETS[metric]
    else:
        raise latency.error("buckets", f"bucket edges of {metric!r} are unknown: list them")
    if threshold not in buckets:
        edges = ", ".join(format_decimal(b) for b in buckets)
        raise latency.error(
            "threshold",
            f"{format_decimal(threshold)} is not a bucket edge of {metric} ({edges}); the "
            "share of fast requests can only be counted at an edge",
        )
    selector = latency.text("selector", "") if latency.has("selector") else ""
    if "{" in selector or "}" in selector:
        raise latency.error(
            "selector", 'give label matchers without braces, e.g. service="gateway"'
        )
    return LatencySLI(metric=metric, threshold=threshold, selector=selector)


def _parse_tiers(data: Any, fields: _Fields, objective: Decimal) -> tuple[AlertTier, ...]:
    if data is None or data == "default":
        tiers = DEFAULT_TIERS
    else:
        if not isinstance(data, list) or not data:
            raise fields.error("tiers", "must be 'default' or a list of tiers")
        parsed = []
        for index, item in enumerate(data):
            fields_of_tier = _Fields(
                item,
                fields.source,
                fields.slo,
                f"alerting.tiers[{index}]",
                ("severity", "burn_rate", "long_window", "short_window"),
            )
            severity = fields_of_tier.text("severity")
            if severity not in SEVERITIES:
                raise fields_of_tier.error("severity", f"must be one of {', '.join(SEVERITIES)}")
            burn = fields_of_tier.decimal("burn_rate")
            if burn <= 0:
                raise fields_of_tier.error("burn_rate", "must be positive")
            long_window, short_window = (
                fields_of_tier.duration("long_window"),
                fields_of_tier.duration("short_window"),
            )
            if short_window >= long_window:
                raise fields_of_tier.error("short_window", "must be shorter than long_window")
            parsed.append(AlertTier(severity, burn, long_window, short_window))
        tiers = tuple(parsed)
    budget = 1 - objective / 100
    for index, tier in enumerate(tiers):
        threshold = tier.burn_rate * budget
        if threshold >= 1:
            raise fields.error(
                f"tiers[{index}]",
                f"the {tier.severity} tier can never fire: burn rate "
                f"{format_decimal(tier.burn_rate)} x error budget {format_decimal(budget)} = "
                f"{format_decimal(threshold)} needs an error ratio above 100%; lower the burn "
                "rate or raise the objective",
            )
    return tiers


def parse_slo(data: Any, source: str, defaults: Mapping[str, Any], index: int) -> SLO:
    name_hint = data.get("name") if isinstance(data, dict) else None
    slo_name = name_hint if isinstance(name_hint, str) else f"#{index + 1}"
    fields = _Fields(
        data,
        source,
        slo_name,
        "",
        (
            "name",
            "description",
            "objective",
            "period",
            "sli",
            "owner",
            "runbook_url",
            "alerting",
            "labels",
        ),
    )
    name = fields.text("name")
    if not _NAME_RE.match(name):
        raise fields.error("name", "use lower-case letters, digits and '-'")
    objective = fields.decimal("objective")
    if not Decimal(0) < objective < Decimal(100):
        raise fields.error("objective", f"must be a percentage between 0 and 100, got {objective}")
    period_text = fields.text("period", "30d")
    period_seconds = None if period_text == CALENDAR_MONTH else fields.duration("period", "30d")
    alerting_data = data.get("alerting") or {}
    alerting = _Fields(alerting_data, source, slo_name, "alerting", ("tiers", "min_event_rate"))
    tiers = _parse_tiers(alerting_data.get("tiers"), alerting, objective)
    nominal = period_seconds or CALENDAR_MONTH_NOMINAL_SECONDS
    for tier_index, tier in enumerate(tiers):
        if tier.long_window > nominal:
            raise alerting.error(f"tiers[{tier_index}].long_window", "is longer than the period")
    min_rate = alerting.decimal("min_event_rate", Decimal(0))
    if min_rate < 0:
        raise alerting.error("min_event_rate", "must not be negative")
    owner = fields.text("owner", defaults.get("owner"))
    labels = {**defaults.get("labels", {}), **fields.labels("labels")}
    return SLO(
        service=defaults["service"],
        name=name,
        description=fields.text("description"),
        objective=objective,
        sli=_parse_sli(data.get("sli"), source, slo_name),
        owner=owner,
        runbook_url=fields.text("runbook_url"),
        period_seconds=period_seconds,
        tiers=tiers,
        min_event_rate=min_rate,
        labels=labels,
        source=source,
    )


def parse_document(data: Any, source: str) -> list[SLO]:
    """One spec document: file-level `service`, `owner`, `labels`, then `slos:`."""
    top = _Fields(data, source, None, "", ("version", "service", "owner", "labels", "slos"))
    if data.get("version", 1) != 1:
        raise top.error("version", "only version 1 is known")
    service = top.text("service")
    if not _NAME_RE.match(service):
        raise top.error("service", "use lower-case letters, digits and '-'")
    defaults = {"service": service, "owner": data.get("owner"), "labels": top.labels("labels")}
    items = data.get("slos")
    if not isinstance(items, list) or not items:
        raise top.error("slos", "must be a non-empty list")
    slos = [parse_slo(item, source, defaults, index) for index, item in enumerate(items)]
    seen: set[str] = set()
    for slo in slos:
        if slo.name in seen:
            raise SpecError(source, slo.name, "name", "is used twice in this file")
        seen.add(slo.name)
    return slos


def load_spec_file(path: Path) -> list[SLO]:
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(source, None, None, f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise SpecError(source, None, None, f"not valid YAML{where}") from None
    return parse_document(data, source)


def load_specs(path: Path) -> list[SLO]:
    """All SLOs of a spec file or of every *.yaml in a directory, sorted by service/name."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    slos = [slo for file in files for slo in load_spec_file(file)]
    seen: dict[str, str] = {}
    for slo in slos:
        if slo.slug in seen:
            raise SpecError(slo.source, slo.name, "name", f"also defined in {seen[slo.slug]}")
        seen[slo.slug] = slo.source
    return sorted(slos, key=lambda s: (s.service, s.name))
