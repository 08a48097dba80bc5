"""Use cases of the order service: place (idempotently), read, cancel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from system_under_test.common.database import Database
from system_under_test.common.messaging.events import (
    LineItem,
    OrderCancelled,
    OrderPlaced,
    make_event,
)
from system_under_test.common.messaging.outbox import add_to_outbox
from system_under_test.common.metrics import ORDER_COMPLETION, ORDER_OUTCOMES
from system_under_test.common.problems import Problem

from . import repository
from .domain import (
    OUTCOMES,
    CurrencyMismatch,
    InvalidTransition,
    Order,
    OrderStatus,
    OrderTooLarge,
    OutcomeCause,
    check_transition,
    order_total,
)
from .pricing import ProductCatalog


def _idempotency_conflict(key: str) -> Problem:
    return Problem(
        409,
        f"Idempotency-Key {key!r} was already used with a different request body.",
        title="Idempotency key reused",
    )


async def place_order(
    db: Database,
    catalog: ProductCatalog,
    *,
    customer_id: str,
    idempotency_key: str,
    fingerprint: str,
    quantities: dict[uuid.UUID, int],
    payment_method: str,
) -> tuple[Order, bool]:
    """Returns the order and whether it was created now (False: an idempotent replay)."""
    async with db.session() as session:
        existing = await repository.get_by_idempotency_key(session, customer_id, idempotency_key)
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise _idempotency_conflict(idempotency_key)
        return existing, False

    items = await catalog.price(quantities, caller=customer_id)
    try:
        total, currency = order_total(items)
    except (CurrencyMismatch, OrderTooLarge) as exc:
        raise Problem(422, str(exc)) from exc
    now = datetime.now(UTC)
    order = Order(
        id=uuid.uuid4(),
        customer_id=customer_id,
        status=OrderStatus.PENDING,
        total_cents=total,
        currency=currency,
        payment_method=payment_method,
        items=items,
        created_at=now,
        updated_at=now,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
    )
    event = make_event(
        order.id,
        OrderPlaced(
            customer_id=customer_id,
            items=[
                LineItem(
                    product_id=i.product_id,
                    quantity=i.quantity,
                    unit_price_cents=i.unit_price_cents,
                )
                for i in items
            ],
            total_cents=total,
            currency=currency,
            payment_method=payment_method,
        ),
    )
    async with db.session() as session, session.begin():
        created = await repository.insert_order(session, order)
        if created:
            await add_to_outbox(session, repository.outbox, event)
    async with db.session() as session:
        stored = await repository.get_by_idempotency_key(session, customer_id, idempotency_key)
    assert stored is not None
    if not created and stored.request_hash != fingerprint:
        raise _idempotency_conflict(idempotency_key)  # a concurrent twin with another body won
    return stored, created


def observe_outcome(session: AsyncSession, order: Order, cause: OutcomeCause) -> None:
    """Count the order's outcome once the transaction that made it commits: a rolled-back
    (and later redelivered) outcome is counted once, when it really happens."""
    outcome = OUTCOMES[cause].value.lower()

    def observe(_: Session) -> None:
        elapsed = (datetime.now(UTC) - order.created_at).total_seconds()
        ORDER_COMPLETION.labels(outcome).observe(max(elapsed, 0.0))
        ORDER_OUTCOMES.labels(outcome, cause.value).inc()

    event.listen(session.sync_session, "after_commit", observe, once=True)


def preset_outcome_series() -> None:
    """Every outcome series from zero, so the first order of each kind is a visible
    increase (Prometheus cannot see the first increment of a series it never saw)."""
    for cause, status in OUTCOMES.items():
        ORDER_OUTCOMES.labels(status.value.lower(), cause.value)


def visible_to(order: Order | None, customer_id: str, is_admin: bool) -> bool:
    return order is not None and (is_admin or order.customer_id == customer_id)


async def get_order(db: Database, order_id: uuid.UUID, customer_id: str, is_admin: bool) -> Order:
    async with db.session() as session:
        order = await repository.get_order(session, order_id)
    if order is None or not visible_to(order, customer_id, is_admin):
        # 404 for others' orders too: their existence is not disclosed.
        raise Problem(404, f"Order {order_id} not found.")
    return order


async def cancel(session: AsyncSession, order: Order, reason: str, cause: OutcomeCause) -> None:
    """Move to CANCELLED and emit order.cancelled (stock released, payment voided)."""
    await repository.set_status(session, order.id, OrderStatus.CANCELLED, reason)
    observe_outcome(session, order, cause)
    await add_to_outbox(
        session,
        repository.outbox,
        make_event(order.id, OrderCancelled(customer_id=order.customer_id, reason=reason)),
    )


async def cancel_by_customer(
    db: Database, order_id: uuid.UUID, customer_id: str, is_admin: bool
) -> Order:
    async with db.session() as session, session.begin():
        order = await repository.get_order(session, order_id, lock=True)
        if order is None or not visible_to(order, customer_id, is_admin):
            raise Problem(404, f"Order {order_id} not found.")
        try:
            check_transition(order.status, OrderStatus.CANCELLED)
        except InvalidTransition as exc:
            raise Problem(409, f"Order {order_id} cannot be cancelled: {exc}.") from exc
        await cancel(session, order, "cancelled by customer", OutcomeCause.CUSTOMER_CANCELLED)
    return await get_order(db, order_id, customer_id, is_admin)
