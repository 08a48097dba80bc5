"""Tables and queries of the order service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from system_under_test.common.messaging.tables import inbox_table, outbox_table

from .domain import Order, OrderStatus, PricedItem

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("total_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_method", String(32), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("cancel_reason", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True)),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_orders_idempotency"),
    CheckConstraint("status IN ('PENDING', 'CONFIRMED', 'CANCELLED')", name="status_known"),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_id", UUID(as_uuid=True), ForeignKey("orders.id"), primary_key=True),
    Column("product_id", UUID(as_uuid=True), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quantity", Integer, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


async def _items_of(
    session: AsyncSession, order_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[PricedItem]]:
    rows = await session.execute(select(order_items).where(order_items.c.order_id.in_(order_ids)))
    items: dict[uuid.UUID, list[PricedItem]] = {i: [] for i in order_ids}
    for r in rows:
        items[r.order_id].append(
            PricedItem(r.product_id, r.sku, r.name, r.unit_price_cents, r.currency, r.quantity)
        )
    return items


def _to_order(row: Any, items: list[PricedItem]) -> Order:
    return Order(
        id=row.id,
        customer_id=row.customer_id,
        status=OrderStatus(row.status),
        total_cents=row.total_cents,
        currency=row.currency,
        payment_method=row.payment_method,
        items=items,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        cancel_reason=row.cancel_reason,
        idempotency_key=row.idempotency_key,
        request_hash=row.request_hash,
    )


async def insert_order(session: AsyncSession, order: Order) -> bool:
    """False when (customer, idempotency key) exists already."""
    inserted = (
        await session.execute(
            insert(orders)
            .values(
                id=order.id,
                customer_id=order.customer_id,
                status=order.status.value,
                total_cents=order.total_cents,
                currency=order.currency,
                payment_method=order.payment_method,
                idempotency_key=order.idempotency_key,
                request_hash=order.request_hash,
            )
            .on_conflict_do_nothing(constraint="uq_orders_idempotency")
            .returning(orders.c.id)
        )
    ).first()
    if inserted is None:
        return False
    await session.execute(
        order_items.insert(),
        [
            {
                "order_id": order.id,
                "product_id": i.product_id,
                "sku": i.sku,
                "name": i.name,
                "unit_price_cents": i.unit_price_cents,
                "currency": i.currency,
                "quantity": i.quantity,
            }
            for i in order.items
        ],
    )
    return True


async def get_order(
    session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False
) -> Order | None:
    stmt = select(orders).where(orders.c.id == order_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return _to_order(row, (await _items_of(session, [order_id]))[order_id])


async def get_by_idempotency_key(session: AsyncSession, customer_id: str, key: str) -> Order | None:
    row = (
        await session.execute(
            select(orders.c.id).where(
                orders.c.customer_id == customer_id, orders.c.idempotency_key == key
            )
        )
    ).first()
    return await get_order(session, row.id) if row else None


async def list_orders(
    session: AsyncSession, customer_id: str | None, status: str | None, limit: int, offset: int
) -> tuple[list[Order], int]:
    conditions = []
    if customer_id is not None:
        conditions.append(orders.c.customer_id == customer_id)
    if status is not None:
        conditions.append(orders.c.status == status)
    total = await session.scalar(select(func.count()).select_from(orders).where(*conditions))
    rows = (
        await session.execute(
            select(orders)
            .where(*conditions)
            .order_by(orders.c.created_at.desc(), orders.c.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    items = await _items_of(session, [r.id for r in rows]) if rows else {}
    return [_to_order(r, items[r.id]) for r in rows], int(total or 0)


async def set_status(
    session: AsyncSession,
    order_id: uuid.UUID,
    status: OrderStatus,
    cancel_reason: str | None = None,
) -> None:
    await session.execute(
        update(orders)
        .where(orders.c.id == order_id)
        .values(
            status=status.value,
            cancel_reason=cancel_reason,
            updated_at=func.now(),
            completed_at=func.now(),
        )
    )
