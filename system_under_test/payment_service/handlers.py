"""The payment service's part of the saga: charge reserved orders, void or refund
cancelled ones."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from system_under_test.common.messaging.consumer import Handler, TransientError
from system_under_test.common.messaging.events import (
    DEFAULT_FAILURE_CODE,
    PROVIDER_UNAVAILABLE,
    Event,
    OrderCancelled,
    PaymentFailed,
    PaymentSucceeded,
    StockReserved,
    make_event,
)
from system_under_test.common.messaging.outbox import add_to_outbox

from . import repository
from .provider import ChargeResult, PaymentProvider, ProviderUnavailable

log = logging.getLogger(__name__)


def failure_code(result: ChargeResult) -> str:
    if result.charge_id is None:
        return PROVIDER_UNAVAILABLE
    return result.decline_code or DEFAULT_FAILURE_CODE


def saga_handlers(provider: PaymentProvider, give_up_after_s: float) -> dict[str, Handler]:
    async def on_stock_reserved(session: AsyncSession, event: Event) -> None:
        reserved = event.body()
        assert isinstance(reserved, StockReserved)
        if await repository.payment_for_order(session, event.order_id, lock=True) is not None:
            return  # voided by an earlier cancellation: nothing to charge
        unavailable = "payment provider unavailable"
        try:
            result = await provider.charge(
                event.order_id, reserved.total_cents, reserved.currency, reserved.payment_method
            )
        except ProviderUnavailable as exc:
            age = (datetime.now(UTC) - event.occurred_at).total_seconds()
            if age < give_up_after_s:
                raise TransientError(str(exc)) from exc
            result = ChargeResult(charge_id=None, captured=False, reason=unavailable)
        payment_id = uuid.uuid4()
        await repository.record_payment(
            session,
            id=payment_id,
            order_id=event.order_id,
            customer_id=reserved.customer_id,
            amount_cents=reserved.total_cents,
            currency=reserved.currency,
            status="captured"
            if result.captured
            else ("failed" if result.charge_id is None else "declined"),
            provider_charge_id=result.charge_id,
            reason=result.reason,
        )
        outcome = (
            PaymentSucceeded(payment_id=payment_id, amount_cents=reserved.total_cents)
            if result.captured
            else PaymentFailed(reason=result.reason or "declined", code=failure_code(result))
        )
        await add_to_outbox(session, repository.outbox, make_event(event.order_id, outcome))

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
