"""The Order aggregate and its state machine."""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from system_under_test.common.bounds import PG_INT_MAX


class OrderStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


TERMINAL = frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED})


class OutcomeCause(enum.StrEnum):
    """Why an order ended as it did (the ``cause`` label of ``order_outcomes_total``)."""

    PAID = "paid"
    CARD_DECLINED = "card_declined"  # the customer's card was declined by its issuer
    PAYMENT_FAILED = "payment_failed"  # any other decline or payment failure
    STOCK_REJECTED = "stock_rejected"
    CUSTOMER_CANCELLED = "customer_cancelled"


# Every (outcome, cause) an order can end with.
OUTCOMES: dict[OutcomeCause, OrderStatus] = {
    OutcomeCause.PAID: OrderStatus.CONFIRMED,
    OutcomeCause.CARD_DECLINED: OrderStatus.CANCELLED,
    OutcomeCause.PAYMENT_FAILED: OrderStatus.CANCELLED,
    OutcomeCause.STOCK_REJECTED: OrderStatus.CANCELLED,
    OutcomeCause.CUSTOMER_CANCELLED: OrderStatus.CANCELLED,
}

# Which transitions the saga and the customer may make.
_ALLOWED = {
    OrderStatus.PENDING: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: set(),
    OrderStatus.CANCELLED: set(),
}


class InvalidTransition(Exception):
    def __init__(self, current: OrderStatus, wanted: OrderStatus) -> None:
        super().__init__(f"an order that is {current} cannot become {wanted}")
        self.current = current
        self.wanted = wanted


def check_transition(current: OrderStatus, wanted: OrderStatus) -> None:
    if wanted not in _ALLOWED[current]:
        raise InvalidTransition(current, wanted)


@dataclass(frozen=True)
class PricedItem:
    product_id: uuid.UUID
    sku: str
    name: str
    unit_price_cents: int
    currency: str
    quantity: int

    @property
    def line_total_cents(self) -> int:
        return self.unit_price_cents * self.quantity


@dataclass(frozen=True)
class Order:
    id: uuid.UUID
    customer_id: str
    status: OrderStatus
    total_cents: int
    currency: str
    payment_method: str
    items: list[PricedItem]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    cancel_reason: str | None = None
    idempotency_key: str = field(default="", repr=False)
    request_hash: str = field(default="", repr=False)


# Totals are stored in PostgreSQL integer columns (orders, payments).
MAX_TOTAL_CENTS = PG_INT_MAX


class CurrencyMismatch(Exception):
    pass


class OrderTooLarge(Exception):
    pass


def order_total(items: list[PricedItem]) -> tuple[int, str]:
    """Sum in minor units; every item of an order must share one currency."""
    currencies = {i.currency for i in items}
    if len(currencies) != 1:
        raise CurrencyMismatch(f"items are priced in several currencies: {sorted(currencies)}")
    total = sum(i.line_total_cents for i in items)
    if total > MAX_TOTAL_CENTS:
        raise OrderTooLarge(
            f"the order's total ({total} minor units) exceeds the limit of {MAX_TOTAL_CENTS}"
        )
    return total, currencies.pop()


def request_fingerprint(body: dict[str, Any]) -> str:
    """Same key + same body -> same order; the fingerprint tells 'same body' apart."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
