"""The payment service's part of the saga: charge reserved orders, void or refund
cancelled ones."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from system_under_test.common.messaging.consumer import Handler, TransientError
from system_under_test.common.messaging.events import (
    Event,
    OrderCancelled,
    PaymentFailed,
    PaymentSucceeded,
    StockReserved,
    make_event,
)
from system_under_test.common.messaging.outbox import add_to_outbox

from . import repository
from .provider import PaymentProvider, ProviderUnavailable

log = logging.getLogger(__name__)


def saga_handlers(provider: PaymentProvider, give_up_after_s: float) -> dict[str, Handler]:
    async def on_stock_reserved(session: AsyncSession, event: Event) -> None:
        reserved = event.body()
        assert isinstance(reserved, StockReserved)
        if await repository.payment_for_order(session, event.order_id, lock=True) is not None:
            return  # voided by an earlier cancellation: nothing to charge
        try:
            result = await provider.charge(
                event.order_id, reserved.total_cents, reserved.currency, reserved.payment_method
            )
        except ProviderUnavailable as exc:
            age = (datetime.now(UTC) - event.occurred_at).total_seconds()
            if age < give_up_after_s:
                raise TransientError(str(exc)) from exc
            await repository.record_payment(
                session,
                order_id=event.order_id,
                customer_id=reserved.customer_id,
                amount_cents=reserved.total_cents,
                currency=reserved.currency,
                status="failed",
                reason="payment provider unavailable",
            )
            outcome = make_event(
                event.order_id, PaymentFailed(reason="payment provider unavailable")
            )
            await add_to_outbox(session, repository.outbox, outcome)
            return
        await repository.record_payment(
            session,
            order_id=event.order_id,
            customer_id=reserved.customer_id,
            amount_cents=reserved.total_cents,
            currency=reserved.currency,
            status="captured" if result.captured else "declined",
            provider_charge_id=result.charge_id,
            reason=result.reason,
        )
        payment = await repository.payment_for_order(session, event.order_id)
        if result.captured:
            outcome = make_event(
                event.order_id,
                PaymentSucceeded(payment_id=payment.id, amount_cents=reserved.total_cents),
            )
        else:
            outcome = make_event(event.order_id, PaymentFailed(reason=result.reason or "declined"))
        await add_to_outbox(session, repository.outbox, outcome)

    async def on_order_cancelled(session: AsyncSession, event: Event) -> None:
        cancelled = event.body()
        assert isinstance(cancelled, OrderCancelled)
        payment = await repository.payment_for_order(session, event.order_id, lock=True)
        if payment is None:
            # Cancelled before the charge: a voided row makes any later charge a no-op.
            await repository.record_payment(
                session,
                order_id=event.order_id,
                customer_id=cancelled.customer_id,
                amount_cents=0,
                currency="XXX",
                status="voided",
                reason=cancelled.reason,
            )
        elif payment.status == "captured":
            try:
                await provider.refund(payment.provider_charge_id)
            except ProviderUnavailable as exc:
                raise TransientError(str(exc)) from exc
            await repository.set_status(session, payment.id, "refunded", cancelled.reason)
            log.info("refunded payment %s of cancelled order %s", payment.id, event.order_id)

    return {"stock.reserved.v1": on_stock_reserved, "order.cancelled.v1": on_order_cancelled}
