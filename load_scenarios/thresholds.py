"""Pass/fail limits on a load run, per request name, checked when Locust quits.

A threshold set maps a request to its limits. The request is Locust's ``METHOD name``
(``GET /products/[id]``), ``*`` for every request separately, or ``Aggregated`` for
all requests together. Written on the command line as
``'GET /products/[id]:p95_ms=300,fail_ratio=0.01'`` or ``'*:p95_ms=800'``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

EVERY_REQUEST = "*"
AGGREGATED = "Aggregated"
THRESHOLD_EXIT_CODE = 3  # Locust itself uses 1 (errors) and 2 (crashes)


@dataclass(frozen=True)
class Limits:
    p95_ms: float | None = None
    fail_ratio: float | None = None


@dataclass(frozen=True)
class RequestRow:
    """The numbers a threshold needs about one request name."""

    key: str  # "GET /products" or "Aggregated"
    requests: int
    failures: int
    p95_ms: float

    @property
    def fail_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


Thresholds = dict[str, Limits]


def parse_limit(text: str) -> tuple[str, Limits]:
    """``'GET /x:p95_ms=300,fail_ratio=0.01'`` -> ("GET /x", Limits(300, 0.01))."""
    key, sep, spec = text.rpartition(":")
    if not sep or not key.strip() or not spec.strip():
        raise ValueError(f"threshold {text!r} must look like REQUEST:p95_ms=N,fail_ratio=R")
    values: dict[str, float] = {}
    for item in spec.split(","):
        name, eq, number = item.partition("=")
        name = name.strip()
        if not eq or name not in ("p95_ms", "fail_ratio"):
            raise ValueError(
                f"threshold {text!r}: {item.strip()!r} is not p95_ms=N or fail_ratio=R"
            )
        try:
            values[name] = float(number)
        except ValueError:
            raise ValueError(f"threshold {text!r}: {number.strip()!r} is not a number") from None
    limits = Limits(**values)
    _validate(key.strip(), limits)
    return key.strip(), limits


def _validate(key: str, limits: Limits) -> None:
    if limits.p95_ms is None and limits.fail_ratio is None:
        raise ValueError(f"threshold for {key!r} sets no limit")
    if limits.p95_ms is not None and limits.p95_ms <= 0:
        raise ValueError(f"threshold for {key!r}: p95_ms must be positive")
    if limits.fail_ratio is not None and not 0 <= limits.fail_ratio <= 1:
        raise ValueError(f"threshold for {key!r}: fail_ratio must be between 0 and 1")


def to_json(thresholds: Mapping[str, Limits]) -> str:
    return json.dumps({key: asdict(limits) for key, limits in thresholds.items()})


def from_json(text: str) -> Thresholds:
    document = json.loads(text) if text else {}
    if not isinstance(document, dict):
        raise ValueError("thresholds must be a JSON object of request -> limits")
    thresholds: Thresholds = {}
    for key, values in document.items():
        if not isinstance(values, dict) or set(values) - {"p95_ms", "fail_ratio"}:
            raise ValueError(f"threshold for {key!r}: only p95_ms and fail_ratio are allowed")
        limits = Limits(**values)
        _validate(key, limits)
        thresholds[key] = limits
    return thresholds


def evaluate(thresholds: Mapping[str, Limits], rows: Iterable[RequestRow]) -> list[str]:
    """Every broken limit, as a sentence; empty when the run passes."""
    by_key = {row.key: row for row in rows}
    violations: list[str] = []
    for key, limits in thresholds.items():
        if key == EVERY_REQUEST:
            targets = [row for name, row in sorted(by_key.items()) if name != AGGREGATED]
        elif key in by_key and by_key[key].requests:
            targets = [by_key[key]]
        else:
            violations.append(f"{key}: no requests recorded")
            continue
        for row in targets:
            violations += _check(row, limits)
    return violations


def _check(row: RequestRow, limits: Limits) -> list[str]:
    broken = []
    if limits.p95_ms is not None and row.p95_ms > limits.p95_ms:
        broken.append(f"{row.key}: p95 {row.p95_ms:.0f} ms > {limits.p95_ms:g} ms")
    if limits.fail_ratio is not None and row.fail_ratio > limits.fail_ratio:
        broken.append(
            f"{row.key}: fail ratio {row.fail_ratio:.2%} > {limits.fail_ratio:.2%} "
            f"({row.failures}/{row.requests})"
        )
    return broken
