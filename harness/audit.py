"""Integrity audit of the order saga, straight against the service databases.

Invariants (docs/architecture.md): every accepted order reaches a terminal state once
the platform is healthy; CONFIRMED <=> exactly one captured payment; CANCELLED => no
captured payment and its stock released; stock never negative; no event applied twice;
every emitted event applied by each of its consumers.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from system_under_test.common.messaging.events import CONSUMED_BY

SERVICES = ("order-service", "product-service", "payment-service")
MAX_IDS_SHOWN = 20


@dataclass
class InvariantResult:
    name: str
    description: str
    passed: bool
    offending: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditReport:
    results: list[InvariantResult]
    orders_checked: int
    waited_s: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "orders_checked": self.orders_checked,
            "waited_s": round(self.waited_s, 2),
            "invariants": [r.to_dict() for r in self.results],
        }


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return list(conn.execute(query).fetchall())


def _result(name: str, description: str, offending: list[Any]) -> InvariantResult:
    ids = sorted({str(o) for o in offending})
    return InvariantResult(name, description, passed=not ids, offending=ids)


def undelivered_events(urls: Mapping[str, str]) -> list[str]:
    """Events some service emitted that a consumer of their type has not applied yet."""
    applied = {
        s: {str(r[0]) for r in _rows(urls[s], "SELECT event_id FROM inbox")} for s in SERVICES
    }
    missing = []
    for producer in SERVICES:
        for event_id, event_type in _rows(urls[producer], "SELECT event_id, type FROM outbox"):
            for consumer in CONSUMED_BY.get(event_type, ()):
                if str(event_id) not in applied[consumer]:
                    missing.append(f"{consumer}:{event_type}:{event_id}")
    return missing


def _unsettled(urls: Mapping[str, str]) -> int:
    pending_orders = _rows(
        urls["order-service"], "SELECT count(*) FROM orders WHERE status = 'PENDING'"
    )
    return int(pending_orders[0][0]) + len(undelivered_events(urls))


def wait_until_settled(
    urls: Mapping[str, str], timeout_s: float, progress: Callable[[int], None] | None = None
) -> float:
    """Wait for PENDING orders and unpublished events to drain; returns seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        remaining = _unsettled(urls)
        if remaining == 0:
            break
        if progress:
            progress(remaining)
        time.sleep(0.5)
    return time.monotonic() - started


def run_audit(
    urls: Mapping[str, str],
    settle_timeout_s: float = 60.0,
    progress: Callable[[int], None] | None = None,
) -> AuditReport:
    missing = [s for s in SERVICES if s not in urls]
    if missing:
        raise ValueError(f"no database URL for {', '.join(missing)}")
    waited = wait_until_settled(urls, settle_timeout_s, progress)

    orders = _rows(urls["order-service"], "SELECT id, status FROM orders")
    status = {str(order_id): s for order_id, s in orders}
    payments = _rows(urls["payment-service"], "SELECT order_id, status FROM payments")
    captured = Counter(str(order_id) for order_id, s in payments if s == "captured")
    payment_rows = Counter(str(order_id) for order_id, _ in payments)
    reservations = _rows(
        urls["product-service"], "SELECT order_id, product_id, status FROM reservations"
    )
    unreleased = {str(o) for o, _, s in reservations if s == "reserved"}
    reservation_keys = Counter((str(o), str(p)) for o, p, _ in reservations)
    negative = _rows(urls["product-service"], "SELECT id FROM products WHERE stock < 0")
    undelivered = undelivered_events(urls)

    confirmed = {o for o, s in status.items() if s == "CONFIRMED"}
    cancelled = {o for o, s in status.items() if s == "CANCELLED"}
    results = [
        _result(
            "orders_terminal",
            "every accepted order reached CONFIRMED or CANCELLED",
            [o for o, s in status.items() if s == "PENDING"],
        ),
        _result(
            "confirmed_iff_one_capture",
            "CONFIRMED <=> exactly one captured payment",
            [o for o in confirmed if captured[o] != 1]
            + [o for o in captured if status.get(o) != "CONFIRMED"],
        ),
        _result(
            "cancelled_no_capture",
            "CANCELLED => no captured payment",
            [o for o in cancelled if captured[o]],
        ),
        _result(
            "cancelled_stock_released",
            "CANCELLED => its reserved stock released",
            [o for o in cancelled if o in unreleased],
        ),
        _result("stock_never_negative", "no product has negative stock", [r[0] for r in negative]),
        _result(
            "no_event_applied_twice",
            "no order reserved the same product twice nor paid twice",
            [f"{o}:{p}" for (o, p), n in reservation_keys.items() if n > 1]
            + [o for o, n in payment_rows.items() if n > 1],
        ),
        _result(
            "events_delivered",
            "every emitted event was applied by each of its consumers",
            undelivered,
        ),
    ]
    return AuditReport(results=results, orders_checked=len(orders), waited_s=waited)


def format_report(report: AuditReport) -> str:
    lines = [
        f"integrity audit of {report.orders_checked} orders (settled after {report.waited_s:.1f}s)"
    ]
    for r in report.results:
        mark = "PASS" if r.passed else "FAIL"
        lines.append(f"  {mark}  {r.name:<26} {r.description}")
        if not r.passed:
            shown = ", ".join(r.offending[:MAX_IDS_SHOWN])
            more = (
                f" (+{len(r.offending) - MAX_IDS_SHOWN} more)"
                if len(r.offending) > MAX_IDS_SHOWN
                else ""
            )
            lines.append(f"        offending ({len(r.offending)}): {shown}{more}")
    lines.append("RESULT: " + ("all invariants hold" if report.passed else "integrity violated"))
    return "\n".join(lines)


def database_urls_from_topology(topology_file: Path) -> dict[str, str]:
    """The services' database URLs as the platform started them (``topology.json``)."""
    document = json.loads(topology_file.read_text())
    urls = {}
    for component in document.get("components", []):
        for key, value in (component.get("env") or {}).items():
            if key.endswith("_DATABASE_URL"):
                urls[component["name"]] = value
    return urls
