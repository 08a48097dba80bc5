"""The product service's part of the saga: reserve stock, release it on cancellation."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from system_under_test.common.messaging.consumer import Handler
from system_under_test.common.messaging.events import (
    Event,
    OrderPlaced,
    StockRejected,
    StockReserved,
    make_event,
)
from system_under_test.common.messaging.outbox import add_to_outbox

from . import repository


async def on_order_placed(session: AsyncSession, event: Event) -> None:
    placed = event.body()
    assert isinstance(placed, OrderPlaced)
    wanted = {item.product_id: item.quantity for item in placed.items}
    available = await repository.lock_products(session, sorted(wanted))
    short = sorted(pid for pid, qty in wanted.items() if available.get(pid, 0) < qty)
    if short:
        missing = [pid for pid in short if pid not in available]
        reason = "unknown product" if missing else "insufficient stock"
        outcome = make_event(event.order_id, StockRejected(reason=reason, product_ids=short))
    else:
        for product_id, quantity in wanted.items():
            await repository.adjust_stock(session, product_id, -quantity, "reserve", event.order_id)
            await repository.add_reservation(session, event.order_id, product_id, quantity)
        outcome = make_event(
            event.order_id,
            StockReserved(
                customer_id=placed.customer_id,
                total_cents=placed.total_cents,
                currency=placed.currency,
                payment_method=placed.payment_method,
            ),
        )
    await add_to_outbox(session, repository.outbox, outcome)


async def on_order_cancelled(session: AsyncSession, event: Event) -> None:
    for product_id, quantity in await repository.release_reservations(session, event.order_id):
        await repository.adjust_stock(session, product_id, quantity, "release", event.order_id)


HANDLERS: dict[str, Handler] = {
    "order.placed.v1": on_order_placed,
    "order.cancelled.v1": on_order_cancelled,
}
