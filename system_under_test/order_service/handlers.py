"""The order service's part of the saga: react to stock and payment outcomes."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from system_under_test.common.messaging.consumer import Handler
from system_under_test.common.messaging.events import (
    CUSTOMER_CAUSED_CODES,
    Event,
    PaymentFailed,
    StockRejected,
)

from . import repository, service
from .domain import Order, OrderStatus, OutcomeCause

log = logging.getLogger(__name__)


async def _pending_order(session: AsyncSession, event: Event) -> Order | None:
    order = await repository.get_order(session, event.order_id, lock=True)
    if order is None:
        log.warning("%s for unknown order %s ignored", event.type, event.order_id)
        return None
    if order.status is not OrderStatus.PENDING:
        # e.g. the customer cancelled first; the payment service refunds on order.cancelled.
        log.info("%s for %s order %s ignored", event.type, order.status, order.id)
        return None
    return order


async def on_stock_rejected(session: AsyncSession, event: Event) -> None:
    order = await _pending_order(session, event)
    if order is not None:
        body = event.body()
        assert isinstance(body, StockRejected)
        await service.cancel(
            session, order, f"stock rejected: {body.reason}", OutcomeCause.STOCK_REJECTED
        )


async def on_payment_succeeded(session: AsyncSession, event: Event) -> None:
    order = await _pending_order(session, event)
    if order is not None:
        await repository.set_status(session, order.id, OrderStatus.CONFIRMED)
        service.observe_outcome(session, order, OutcomeCause.PAID)


async def on_payment_failed(session: AsyncSession, event: Event) -> None:
    order = await _pending_order(session, event)
    if order is not None:
        failed = event.body()
        assert isinstance(failed, PaymentFailed)
        cause = (
            OutcomeCause.CARD_DECLINED
            if failed.code in CUSTOMER_CAUSED_CODES
            else OutcomeCause.PAYMENT_FAILED
        )
        await service.cancel(session, order, f"payment failed: {failed.reason}", cause)


HANDLERS: dict[str, Handler] = {
    "stock.rejected.v1": on_stock_rejected,
    "payment.succeeded.v1": on_payment_succeeded,
    "payment.failed.v1": on_payment_failed,
}
