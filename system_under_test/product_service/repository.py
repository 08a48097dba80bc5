"""Tables and queries of the product service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from system_under_test.common.messaging.tables import inbox_table, outbox_table

from .domain import Product, ProductFilter

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

products = Table(
    "products",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("price_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("attributes", JSONB, nullable=False, server_default="{}"),
    Column("stock", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("stock >= 0", name="stock_never_negative"),
    CheckConstraint("price_cents > 0", name="price_positive"),
)

# One row per reserved order line. Deliberately no unique key on (order_id, product_id):
# the integrity audit must be able to see a double reservation if one ever happened.
reservations = Table(
    "reservations",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("product_id", UUID(as_uuid=True), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("released_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('reserved', 'released')", name="reservation_status_known"),
)


# Every change of a product's stock, written in the same transaction as the change: the
# ledger explains each stock level, so the integrity audit can reconcile stock with the
# orders that reserved and released it.
stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("product_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("delta", Integer, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("order_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "reason IN ('initial', 'admin', 'reserve', 'release')", name="stock_movement_reason"
    ),
)


def _to_product(row: Any) -> Product:
    return Product(**{c.name: getattr(row, c.name) for c in products.columns})


def _filtered(stmt: Select[Any], f: ProductFilter) -> Select[Any]:
    if f.q:
        pattern = f"%{f.q}%"
        stmt = stmt.where(
            or_(products.c.name.ilike(pattern), products.c.description.ilike(pattern))
        )
    if f.ids:
        stmt = stmt.where(products.c.id.in_(f.ids))
    if f.min_price_cents is not None:
        stmt = stmt.where(products.c.price_cents >= f.min_price_cents)
    if f.max_price_cents is not None:
        stmt = stmt.where(products.c.price_cents <= f.max_price_cents)
    if f.in_stock is not None:
        stmt = stmt.where(products.c.stock > 0 if f.in_stock else products.c.stock == 0)
    for key, value in f.attributes:
        # Text comparison so "42" matches both the string "42" and the number 42.
        stmt = stmt.where(products.c.attributes[key].astext == value)
    return stmt


async def list_products(
    session: AsyncSession, f: ProductFilter, limit: int, offset: int
) -> tuple[list[Product], int]:
    total = (
        await session.execute(_filtered(select(func.count()).select_from(products), f))
    ).scalar_one()
    rows = await session.execute(
        _filtered(select(products), f).order_by(products.c.sku).limit(limit).offset(offset)
    )
    return [_to_product(r) for r in rows], int(total)


async def get_product(session: AsyncSession, product_id: uuid.UUID) -> Product | None:
    row = (await session.execute(select(products).where(products.c.id == product_id))).first()
    return _to_product(row) if row else None


async def insert_product(session: AsyncSession, values: dict[str, Any]) -> Product | None:
    """None when the SKU exists already."""
    stmt = (
        insert(products)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=["sku"])
        .returning(products)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    product = _to_product(row)
    await _record_movement(session, product.id, product.stock, "initial")
    return product


async def update_product(
    session: AsyncSession, product_id: uuid.UUID, values: dict[str, Any]
) -> Product | None:
    before = None
    if "stock" in values:
        locked = await lock_products(session, [product_id])
        before = locked.get(product_id)
    stmt = (
        update(products)
        .where(products.c.id == product_id)
        .values(**values, updated_at=func.now())
        .returning(products)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    product = _to_product(row)
    if before is not None and product.stock != before:
        await _record_movement(session, product_id, product.stock - before, "admin")
    return product


async def lock_products(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Lock the rows in id order (no deadlocks between concurrent reservations)."""
    rows = await session.execute(
        select(products.c.id, products.c.stock)
        .where(products.c.id.in_(ids))
        .order_by(products.c.id)
        .with_for_update()
    )
    return {r.id: r.stock for r in rows}


async def adjust_stock(
    session: AsyncSession,
    product_id: uuid.UUID,
    delta: int,
    reason: str,
    order_id: uuid.UUID | None = None,
) -> None:
    """Move stock by ``delta`` for an order (reason ``reserve`` or ``release``)."""
    await session.execute(
        update(products)
        .where(products.c.id == product_id)
        .values(stock=products.c.stock + delta, updated_at=func.now())
    )
    await _record_movement(session, product_id, delta, reason, order_id)


async def _record_movement(
    session: AsyncSession,
    product_id: uuid.UUID,
    delta: int,
    reason: str,
    order_id: uuid.UUID | None = None,
) -> None:
    await session.execute(
        stock_movements.insert().values(
            product_id=product_id, delta=delta, reason=reason, order_id=order_id
        )
    )


async def add_reservation(
    session: AsyncSession, order_id: uuid.UUID, product_id: uuid.UUID, quantity: int
) -> None:
    await session.execute(
        reservations.insert().values(
            order_id=order_id, product_id=product_id, quantity=quantity, status="reserved"
        )
    )


async def release_reservations(
    session: AsyncSession, order_id: uuid.UUID
) -> list[tuple[uuid.UUID, int]]:
    """Mark the order's live reservations released; returns what to put back in stock."""
    rows = await session.execute(
        update(reservations)
        .where(reservations.c.order_id == order_id, reservations.c.status == "reserved")
        .values(status="released", released_at=func.now())
        .returning(reservations.c.product_id, reservations.c.quantity)
    )
    return [(r.product_id, r.quantity) for r in rows]
