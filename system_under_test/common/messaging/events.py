"""Versioned event schemas shared by the services (JSON on the wire, key = order id)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError


class LineItem(BaseModel):
    product_id: uuid.UUID
    quantity: int = Field(gt=0)
    unit_price_cents: int = Field(ge=0)


class OrderPlaced(BaseModel):
    customer_id: str
    items: list[LineItem]
    total_cents: int
    currency: str
    payment_method: str


class OrderCancelled(BaseModel):
    customer_id: str
    reason: str


class StockReserved(BaseModel):
    customer_id: str
    total_cents: int
    currency: str
    payment_method: str


class StockRejected(BaseModel):
    reason: str
    product_ids: list[uuid.UUID] = Field(default_factory=list)


class PaymentSucceeded(BaseModel):
    payment_id: uuid.UUID
    amount_cents: int


# Codes of payment.failed.v1: the provider's decline code (card_declined: the issuer
# declined the card, caused by the customer; over_limit; processor_declined), or one of:
DEFAULT_FAILURE_CODE = "declined"  # no code known (events written before codes existed)
PROVIDER_UNAVAILABLE = "provider_unavailable"  # the payment service gave up on the provider
CUSTOMER_CAUSED_CODES = frozenset({"card_declined"})


class PaymentFailed(BaseModel):
    reason: str
    code: str = DEFAULT_FAILURE_CODE


TOPIC_ORDERS = "orders"
TOPIC_INVENTORY = "inventory"
TOPIC_PAYMENTS = "payments"

# type -> (topic, payload model). A new version is a new type (order.placed.v2).
EVENT_TYPES: dict[str, tuple[str, type[BaseModel]]] = {
    "order.placed.v1": (TOPIC_ORDERS, OrderPlaced),
    "order.cancelled.v1": (TOPIC_ORDERS, OrderCancelled),
    "stock.reserved.v1": (TOPIC_INVENTORY, StockReserved),
    "stock.rejected.v1": (TOPIC_INVENTORY, StockRejected),
    "payment.succeeded.v1": (TOPIC_PAYMENTS, PaymentSucceeded),
    "payment.failed.v1": (TOPIC_PAYMENTS, PaymentFailed),
}


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


class Event(BaseModel):
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    order_id: uuid.UUID
    payload: dict[str, Any]

    @property
    def topic(self) -> str:
        return EVENT_TYPES[self.type][0]

    def body(self) -> BaseModel:
        """The payload parsed into its schema."""
        return EVENT_TYPES[self.type][1].model_validate(self.payload)


def make_event(order_id: uuid.UUID, payload: BaseModel) -> Event:
    event_type = next(t for t, (_, model) in EVENT_TYPES.items() if model is type(payload))
    return Event(type=event_type, order_id=order_id, payload=payload.model_dump(mode="json"))


class PoisonEvent(Exception):
    """A message that can never be processed; it goes to the dead-letter topic."""


def parse_event(raw: bytes | None) -> Event:
    if raw is None:
        raise PoisonEvent("empty message")
    try:
        event = Event.model_validate_json(raw)
    except ValidationError as exc:
        raise PoisonEvent(f"not a valid event envelope: {exc.errors()[0]['msg']}") from exc
    if event.type not in EVENT_TYPES:
        raise PoisonEvent(f"unknown event type {event.type!r}")
    try:
        event.body()
    except ValidationError as exc:
        raise PoisonEvent(f"invalid {event.type} payload: {exc.errors()[0]['msg']}") from exc
    return event


# Who applies each event type: the saga's wiring in one table (checked against the
# services' handler maps by the tests, used by the integrity audit).
CONSUMED_BY: dict[str, tuple[str, ...]] = {
    "order.placed.v1": ("product-service",),
    "order.cancelled.v1": ("product-service", "payment-service"),
    "stock.reserved.v1": ("payment-service",),
    "stock.rejected.v1": ("order-service",),
    "payment.succeeded.v1": ("order-service",),
    "payment.failed.v1": ("order-service",),
}
