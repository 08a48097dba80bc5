"""Use cases of the user service: register, log in, keep signing keys, seed the admin."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from system_under_test.common.database import Database
from system_under_test.common.problems import Problem

from . import repository
from .domain import (
    ADMIN,
    CUSTOMER,
    DUMMY_HASH,
    SigningKey,
    User,
    hash_password,
    normalise_email,
    verify_password,
)


class KeyStore:
    """Signing keys live in the database so restarts and replicas share one JWKS."""

    def __init__(self, db: Database, configured_pem: str = "") -> None:
        self.db = db
        self.configured_pem = configured_pem
        self.keys: list[SigningKey] = []

    async def load(self) -> None:
        async with self.db.session() as session, session.begin():
            if self.configured_pem:
                key = SigningKey.from_pem(self.configured_pem)
                await repository.insert_key(session, key.kid, key.private_pem())
            elif not await repository.active_keys(session):
                key = SigningKey.generate()
                await repository.insert_key(session, key.kid, key.private_pem())
            rows = await repository.active_keys(session)
        self.keys = [SigningKey.from_pem(pem) for _, pem, _ in rows]
        if self.configured_pem:
            configured = SigningKey.from_pem(self.configured_pem)
            self.keys.sort(key=lambda k: k.kid != configured.kid)

    @property
    def current(self) -> SigningKey:
        if not self.keys:
            raise RuntimeError("signing keys not loaded")
        return self.keys[0]

    async def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.keys]}


async def register(db: Database, email: str, password: str, roles: list[str] | None = None) -> User:
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.session() as session, session.begin():
        user = await repository.insert_user(
            session, normalise_email(email), password_hash, roles or [CUSTOMER]
        )
    if user is None:
        raise Problem(409, "An account with this email already exists.", title="Email taken")
    return user


async def authenticate(db: Database, email: str, password: str) -> User:
    async with db.session() as session:
        user = await repository.user_by_email(session, normalise_email(email))
    ok = await asyncio.to_thread(
        verify_password, user.password_hash if user else DUMMY_HASH, password
    )
    if user is None or not ok:
        raise Problem(
            401, "Email or password is incorrect.", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


async def ensure_admin(db: Database, email: str, password: str) -> None:
    async with db.session() as session:
        existing = await repository.user_by_email(session, normalise_email(email))
    if existing is None:
        # Problem(409): another replica seeded it at the same moment.
        with contextlib.suppress(Problem):
            await register(db, email, password, roles=[ADMIN, CUSTOMER])
