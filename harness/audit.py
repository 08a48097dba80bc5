"""Integrity audit of the order saga, straight against the service databases and the
payment provider's ledger.

Invariants (docs/architecture.md): every accepted order reaches a terminal state once
the platform is healthy; CONFIRMED <=> exactly one captured payment; CANCELLED => no
captured payment and its stock released; stock never negative; no event applied twice;
every emitted event applied by each of its consumers. Money, reconciled with the
provider: every capture belongs to a CONFIRMED order, no CANCELLED order keeps a
capture, no order is charged twice, every CONFIRMED order is captured.

Scope: the audit waits for in-flight work to settle, then judges what existed at that
moment (orders, events and charges that arrive while it reads are left for the next
audit). With ``since``, violations of orders and events created before it are
reported apart, as inherited, and do not fail the audit.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from system_under_test.common.messaging.events import CONSUMED_BY

SERVICES = ("order-service", "product-service", "payment-service")
PROVIDER = "payment-provider"
DEFAULT_ADMIN_TOKEN = "dev-admin-token"  # noqa: S105 - the local platform's documented default
LEDGER_PAGE = 5000
MAX_IDS_SHOWN = 20

# An offending id and when the order, event or product it concerns was created
# (None: unknown, judged as this game's).
Finding = tuple[str, datetime | None]


class LedgerUnavailable(Exception):
    """The payment provider's ledger could not be read."""


@dataclass(frozen=True)
class LedgerCharge:
    id: str
    order_id: str  # the merchant's reference, else the idempotency key (both the order id)
    status: str  # captured | declined | refunded
    created_at: datetime


@dataclass(frozen=True)
class ProviderLedger:
    """The payment provider's charge ledger, read page by page from its admin API."""

    url: str
    admin_token: str = DEFAULT_ADMIN_TOKEN

    def charges(self) -> list[LedgerCharge]:
        found: list[LedgerCharge] = []
        after = 0
        headers = {"X-Admin-Token": self.admin_token}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as client:
            while True:
                try:
                    response = client.get(
                        "/admin/ledger", params={"after": after, "limit": LEDGER_PAGE}
                    )
                except httpx.HTTPError as exc:
                    raise LedgerUnavailable(f"{self.url}/admin/ledger: {exc}") from exc
                if response.status_code != 200:
                    raise LedgerUnavailable(
                        f"{self.url}/admin/ledger answered HTTP {response.status_code}: "
                        f"{response.text[:200]}"
                    )
                page = response.json()
                found += [
                    LedgerCharge(
                        id=c["id"],
                        order_id=c.get("reference") or c["idempotency_key"],
                        status=c["status"],
                        created_at=datetime.fromisoformat(c["created_at"]),
                    )
                    for c in page["charges"]
                ]
                if page.get("next_after") is None:
                    return found
                after = int(page["next_after"])


@dataclass
class InvariantResult:
    name: str
    description: str
    passed: bool
    offending: list[str] = field(default_factory=list)  # this game's (all without `since`)
    inherited: list[str] = field(default_factory=list)  # created before `since`

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AuditReport:
    results: list[InvariantResult]
    orders_checked: int
    waited_s: float
    since: datetime | None = None
    orders_in_scope: int = 0  # orders created at or after `since` (all without it)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "orders_checked": self.orders_checked,
            "orders_in_scope": self.orders_in_scope,
            "since": self.since.isoformat() if self.since else None,
            "waited_s": round(self.waited_s, 2),
            "invariants": [r.to_dict() for r in self.results],
        }


def _rows(url: str, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return list(conn.execute(query, params).fetchall())


def invariant_result(
    name: str, description: str, findings: Iterable[Finding], since: datetime | None
) -> InvariantResult:
    """Split the findings into this game's (created at or after ``since``) and inherited."""
    mine: set[str] = set()
    older: set[str] = set()
    for ident, created in findings:
        (mine if _ours(created, since) else older).add(str(ident))
    return InvariantResult(
        name, description, passed=not mine, offending=sorted(mine), inherited=sorted(older - mine)
    )


def _undelivered(urls: Mapping[str, str], until: datetime) -> list[Finding]:
    """Events emitted up to ``until`` that a consumer of their type has not applied."""
    applied = {
        s: {str(r[0]) for r in _rows(urls[s], "SELECT event_id FROM inbox")} for s in SERVICES
    }
    missing: list[Finding] = []
    for producer in SERVICES:
        events = _rows(
            urls[producer],
            "SELECT event_id, type, created_at FROM outbox WHERE created_at <= %(until)s",
            {"until": until},
        )
        for event_id, event_type, created in events:
            for consumer in CONSUMED_BY.get(event_type, ()):
                if str(event_id) not in applied[consumer]:
                    missing.append((f"{consumer}:{event_type}:{event_id}", created))
    return missing


@dataclass(frozen=True)
class _Snapshot:
    """The orders as they were at ``cutoff``, once settled (or when the wait ran out)."""

    orders: list[tuple[Any, ...]]  # (id, status, created_at)
    undelivered: list[Finding]  # events emitted up to the cutoff, not yet applied
    cutoff: datetime
    waited_s: float


def _settled_snapshot(
    urls: Mapping[str, str],
    timeout_s: float,
    progress: Callable[[int], None] | None,
    since: datetime | None,
) -> _Snapshot:
    """Read the orders until none (created at or after ``since``, when given: older ones
    may never settle and are not waited for) is PENDING and every event emitted up to
    the read was applied. Orders placed after the read (the probes never stop) are left
    for the next audit."""
    started = time.monotonic()
    while True:
        (cutoff,) = _rows(urls["order-service"], "SELECT now()")[0]
        orders = _rows(
            urls["order-service"],
            "SELECT id, status, created_at FROM orders WHERE created_at <= %(cutoff)s",
            {"cutoff": cutoff},
        )
        pending = sum(
            1 for _, status, created in orders if status == "PENDING" and _ours(created, since)
        )
        undelivered = _undelivered(urls, until=cutoff)
        remaining = pending + sum(1 for _, created in undelivered if _ours(created, since))
        waited = time.monotonic() - started
        if remaining == 0 or waited >= timeout_s:
            return _Snapshot(orders, undelivered, cutoff, waited)
        if progress:
            progress(remaining)
        time.sleep(0.5)


def _ours(created: datetime | None, since: datetime | None) -> bool:
    """Created at or after ``since`` (everything is, without it; so is an unknown time)."""
    return since is None or created is None or created >= since


def _money_invariants(
    status: Mapping[str, str],
    created: Mapping[str, datetime],
    charges: list[LedgerCharge],
    recorded_charge: Mapping[str, str | None],
    since: datetime | None,
) -> list[InvariantResult]:
    """Reconcile the provider's captures with the orders and the payment service's records."""
    captures: defaultdict[str, list[LedgerCharge]] = defaultdict(list)
    for charge in charges:
        if charge.status == "captured":
            captures[charge.order_id].append(charge)

    def when(order_id: str, fallback: datetime | None = None) -> datetime | None:
        return created.get(order_id, fallback)

    stray = [  # the order is not CONFIRMED, or its payment record names another charge
        (c.order_id, when(c.order_id, c.created_at))
        for cs in captures.values()
        for c in cs
        if status.get(c.order_id) != "PENDING"  # in flight: orders_terminal judges it
        and (status.get(c.order_id) != "CONFIRMED" or recorded_charge.get(c.order_id) != c.id)
    ]
    return [
        invariant_result(
            "captures_belong_to_confirmed_orders",
            "every capture at the provider belongs to one CONFIRMED order whose payment it is",
            stray,
            since,
        ),
        invariant_result(
            "cancelled_orders_keep_no_capture",
            "no CANCELLED order keeps a capture at the provider (refunded is fine)",
            [(o, when(o)) for o, s in status.items() if s == "CANCELLED" and o in captures],
            since,
        ),
        invariant_result(
            "no_order_charged_twice",
            "no order is captured more than once at the provider",
            [(o, when(o, cs[0].created_at)) for o, cs in captures.items() if len(cs) > 1],
            since,
        ),
        invariant_result(
            "confirmed_orders_captured",
            "every CONFIRMED order is captured at the provider",
            [(o, when(o)) for o, s in status.items() if s == "CONFIRMED" and o not in captures],
            since,
        ),
    ]


def run_audit(
    urls: Mapping[str, str],
    settle_timeout_s: float = 60.0,
    progress: Callable[[int], None] | None = None,
    *,
    ledger: ProviderLedger | None,
    since: datetime | None = None,
) -> AuditReport:
    """Check every invariant over everything; with ``since`` (timezone-aware), violations
    of what was created before it are inherited and do not fail the report."""
    missing = [s for s in SERVICES if s not in urls]
    if missing:
        raise ValueError(f"no database URL for {', '.join(missing)}")
    if ledger is None:
        raise ValueError("no payment provider to reconcile the payments with")
    if since is not None and since.tzinfo is None:
        raise ValueError("since must carry a time zone")
    snapshot = _settled_snapshot(urls, settle_timeout_s, progress, since)
    orders, cutoff = snapshot.orders, snapshot.cutoff
    status = {str(order_id): s for order_id, s, _ in orders}
    created = {str(order_id): c for order_id, _, c in orders}

    def judged(order_id: Any, row_created: datetime) -> bool:
        """A row of a judged order, or one of no known order that was there in time."""
        return str(order_id) in status or row_created <= cutoff

    payments = [
        row
        for row in _rows(
            urls["payment-service"],
            "SELECT order_id, status, provider_charge_id, created_at FROM payments",
        )
        if judged(row[0], row[3])
    ]
    captured = Counter(str(order_id) for order_id, s, _, _ in payments if s == "captured")
    payment_rows = Counter(str(order_id) for order_id, _, _, _ in payments)
    payment_created = {str(order_id): c for order_id, _, _, c in payments}
    recorded_charge = {
        str(order_id): str(charge) if charge else None for order_id, _, charge, _ in payments
    }
    reservations = [
        row
        for row in _rows(
            urls["product-service"],
            "SELECT order_id, product_id, status, created_at FROM reservations",
        )
        if judged(row[0], row[3])
    ]
    unreleased = {str(o) for o, _, s, _ in reservations if s == "reserved"}
    reservation_keys = Counter((str(o), str(p)) for o, p, _, _ in reservations)
    negative = _rows(urls["product-service"], "SELECT id, updated_at FROM products WHERE stock < 0")
    undelivered = snapshot.undelivered
    charges = [c for c in ledger.charges() if judged(c.order_id, c.created_at)]

    def when(order_id: str) -> datetime | None:
        return created.get(order_id, payment_created.get(order_id))

    confirmed = {o for o, s in status.items() if s == "CONFIRMED"}
    cancelled = {o for o, s in status.items() if s == "CANCELLED"}
    results = [
        invariant_result(
            "orders_terminal",
            "every accepted order reached CONFIRMED or CANCELLED",
            [(o, when(o)) for o, s in status.items() if s == "PENDING"],
            since,
        ),
        invariant_result(
            "confirmed_iff_one_capture",
            "CONFIRMED <=> exactly one captured payment",
            [(o, when(o)) for o in confirmed if captured[o] != 1]
            + [(o, when(o)) for o in captured if status.get(o) != "CONFIRMED"],
            since,
        ),
        invariant_result(
            "cancelled_no_capture",
            "CANCELLED => no captured payment",
            [(o, when(o)) for o in cancelled if captured[o]],
            since,
        ),
        invariant_result(
            "cancelled_stock_released",
            "CANCELLED => its reserved stock released",
            [(o, when(o)) for o in cancelled if o in unreleased],
            since,
        ),
        invariant_result(
            "stock_never_negative",
            "no product has negative stock",
            [(str(product), updated) for product, updated in negative],
            since,
        ),
        invariant_result(
            "no_event_applied_twice",
            "no order reserved the same product twice nor paid twice",
            [(f"{o}:{p}", when(o)) for (o, p), n in reservation_keys.items() if n > 1]
            + [(o, when(o)) for o, n in payment_rows.items() if n > 1],
            since,
        ),
        invariant_result(
            "events_delivered",
            "every emitted event was applied by each of its consumers",
            undelivered,
            since,
        ),
        *_money_invariants(status, created, charges, recorded_charge, since),
        *_stock_invariants(urls["product-service"], judged, when, since),
    ]
    in_scope = sum(1 for c in created.values() if _ours(c, since))
    return AuditReport(
        results=results,
        orders_checked=len(orders),
        waited_s=snapshot.waited_s,
        since=since,
        orders_in_scope=in_scope,
    )


def _stock_invariants(
    url: str,
    judged: Callable[[Any, datetime], bool],
    when: Callable[[str], datetime | None],
    since: datetime | None,
) -> list[InvariantResult]:
    """Stock reconciled with its ledger (stock_movements): each product's stock is the sum
    of its movements, and every order line moved exactly its quantity out when reserved
    and back when released."""
    balances = _rows(
        url,
        "SELECT p.id, p.updated_at, p.stock, COALESCE(SUM(m.delta), 0) FROM products p "
        "LEFT JOIN stock_movements m ON m.product_id = p.id GROUP BY p.id",
    )
    lines: dict[tuple[str, str], list[int]] = {}  # (order, product) -> [reserved, released]
    for order_id, product_id, quantity, status, created in _rows(
        url, "SELECT order_id, product_id, quantity, status, created_at FROM reservations"
    ):
        if judged(order_id, created):
            line = lines.setdefault((str(order_id), str(product_id)), [0, 0])
            line[0] += quantity
            line[1] += quantity if status == "released" else 0
    moved: dict[tuple[str, str], list[int]] = {}  # (order, product) -> [out, back]
    for order_id, product_id, reason, total in _rows(
        url,
        "SELECT order_id, product_id, reason, SUM(delta) FROM stock_movements "
        "WHERE order_id IS NOT NULL GROUP BY order_id, product_id, reason",
    ):
        entry = moved.setdefault((str(order_id), str(product_id)), [0, 0])
        entry[0 if reason == "reserve" else 1] += int(total)
    mismatched = [
        (f"{order}:{product}", when(order))
        for (order, product), (reserved, released) in lines.items()
        if moved.get((order, product), [0, 0]) != [-reserved, released]
    ]
    return [
        invariant_result(
            "stock_ledger_balances",
            "every product's stock is the sum of its stock movements",
            [
                (str(product), updated)
                for product, updated, stock, total in balances
                if stock != total
            ],
            since,
        ),
        invariant_result(
            "stock_moves_with_orders",
            "each order line took exactly its quantity out of stock, and put it back when released",
            mismatched,
            since,
        ),
    ]


def _ids(ids: list[str]) -> str:
    more = f" (+{len(ids) - MAX_IDS_SHOWN} more)" if len(ids) > MAX_IDS_SHOWN else ""
    return ", ".join(ids[:MAX_IDS_SHOWN]) + more


def format_report(report: AuditReport) -> str:
    head = f"integrity audit of {report.orders_checked} orders"
    if report.since is not None:
        head += (
            f", {report.orders_in_scope} of them since {report.since.isoformat()} "
            "(older violations are inherited and do not fail)"
        )
    lines = [f"{head} (settled after {report.waited_s:.1f}s)"]
    for r in report.results:
        mark = "PASS" if r.passed else "FAIL"
        lines.append(f"  {mark}  {r.name:<36} {r.description}")
        if r.offending:
            lines.append(f"        offending ({len(r.offending)}): {_ids(r.offending)}")
        if r.inherited:
            lines.append(f"        inherited ({len(r.inherited)}): {_ids(r.inherited)}")
    inherited = sum(len(r.inherited) for r in report.results)
    verdict = "all invariants hold" if report.passed else "integrity violated"
    if inherited:
        verdict += (
            f" ({inherited} inherited violations from before {report.since:%Y-%m-%d %H:%M:%S})"
        )
    lines.append("RESULT: " + verdict)
    return "\n".join(lines)


def _components(topology_file: Path) -> list[dict[str, Any]]:
    components: list[dict[str, Any]] = json.loads(topology_file.read_text()).get("components", [])
    return components


def database_urls_from_topology(topology_file: Path) -> dict[str, str]:
    """The services' database URLs as the platform started them (``topology.json``)."""
    urls = {}
    for component in _components(topology_file):
        for key, value in (component.get("env") or {}).items():
            if key.endswith("_DATABASE_URL"):
                urls[component["name"]] = value
    return urls


def provider_ledger_from_topology(topology_file: Path) -> ProviderLedger | None:
    """The payment provider's address and admin token as the platform started it."""
    for component in _components(topology_file):
        if component["name"] == PROVIDER and component.get("port"):
            env = component.get("env") or {}
            return ProviderLedger(
                f"http://127.0.0.1:{component['port']}",
                env.get("PROVIDER_ADMIN_TOKEN", DEFAULT_ADMIN_TOKEN),
            )
    return None
