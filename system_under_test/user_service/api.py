"""HTTP routes of the user service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, EmailStr, Field

from system_under_test.common.auth import CurrentPrincipal
from system_under_test.common.problems import Problem

from . import repository, service
from .domain import User, issue_token

router = APIRouter()


class Registration(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    roles: list[str]
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email, roles=list(user.roles), created_at=user.created_at)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


@router.post("/users", status_code=201)
async def register(body: Registration, request: Request) -> UserOut:
    user = await service.register(request.app.state.db, body.email, body.password)
    return UserOut.of(user)


@router.post("/auth/login")
async def login(body: Credentials, request: Request) -> TokenOut:
    settings = request.app.state.settings
    user = await service.authenticate(request.app.state.db, body.email, body.password)
    token = issue_token(
        user,
        request.app.state.keys.current,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        ttl_seconds=settings.token_ttl_seconds,
    )
    return TokenOut(access_token=token, expires_in=settings.token_ttl_seconds)


@router.get("/users/me")
async def me(principal: CurrentPrincipal, request: Request) -> UserOut:
    try:
        user_id = uuid.UUID(principal.subject)
    except ValueError as exc:
        raise Problem(404, "No such user.") from exc
    async with request.app.state.db.session() as session:
        user = await repository.user_by_id(session, user_id)
    if user is None:
        raise Problem(404, "No such user.")
    return UserOut.of(user)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> dict[str, Any]:
    document: dict[str, Any] = await request.app.state.keys.jwks()
    return document
