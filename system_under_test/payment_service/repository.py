"""Tables and queries of the payment service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from system_under_test.common.messaging.tables import inbox_table, outbox_table

metadata = MetaData()

STATUSES = ("captured", "declined", "failed", "voided", "refunded")

payments = Table(
    "payments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("customer_id", String(64), nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("provider_charge_id", UUID(as_uuid=True)),
    Column("reason", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "status IN ('captured', 'declined', 'failed', 'voided', 'refunded')",
        name="payment_status_known",
    ),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


async def payment_for_order(
    session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False
) -> Any:
    stmt = select(payments).where(payments.c.order_id == order_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def record_payment(session: AsyncSession, **values: Any) -> bool:
    """False when the order has a payment row already."""
    row = (
        await session.execute(
            insert(payments)
            .values(**({"id": uuid.uuid4()} | values))
            .on_conflict_do_nothing(index_elements=["order_id"])
            .returning(payments.c.id)
        )
    ).first()
    return row is not None


async def set_status(
    session: AsyncSession, payment_id: uuid.UUID, status: str, reason: str | None
) -> None:
    await session.execute(
        update(payments)
        .where(payments.c.id == payment_id)
        .values(status=status, reason=reason, updated_at=func.now())
    )


async def payments_for(session: AsyncSession, order_id: uuid.UUID) -> list[Any]:
    return list(
        (await session.execute(select(payments).where(payments.c.order_id == order_id))).all()
    )
