"""Tables and queries of the user service."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, Column, DateTime, MetaData, String, Table, Text, func, select
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from .domain import User

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("roles", ARRAY(String(32)), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def _to_user(row: object) -> User:
    return User(
        id=row.id,  # type: ignore[attr-defined]
        email=row.email,  # type: ignore[attr-defined]
        password_hash=row.password_hash,  # type: ignore[attr-defined]
        roles=tuple(row.roles),  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
    )


async def insert_user(
    session: AsyncSession, email: str, password_hash: str, roles: list[str]
) -> User | None:
    """Insert a user; None when the email is already registered."""
    stmt = (
        insert(users)
        .values(id=uuid.uuid4(), email=email, password_hash=password_hash, roles=roles)
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(users)
    )
    row = (await session.execute(stmt)).first()
    return _to_user(row) if row else None


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    row = (await session.execute(select(users).where(users.c.email == email))).first()
    return _to_user(row) if row else None


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    row = (await session.execute(select(users).where(users.c.id == user_id))).first()
    return _to_user(row) if row else None


async def active_keys(session: AsyncSession) -> list[tuple[str, str, datetime]]:
    rows = await session.execute(
        select(signing_keys.c.kid, signing_keys.c.private_pem, signing_keys.c.created_at)
        .where(signing_keys.c.active)
        .order_by(signing_keys.c.created_at.desc())
    )
    return [(r.kid, r.private_pem, r.created_at) for r in rows]


async def insert_key(session: AsyncSession, kid: str, private_pem: str) -> None:
    await session.execute(
        insert(signing_keys).values(kid=kid, private_pem=private_pem).on_conflict_do_nothing()
    )
