"""HTTP routes of the user service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from system_under_test.common.auth import CurrentPrincipal
from system_under_test.common.bounds import text
from system_under_test.common.openapi import problems
from system_under_test.common.problems import Problem

from . import repository, service
from .domain import User, issue_token

router = APIRouter()


# What the contract promises is what is accepted: one @, no blanks, a dot in the domain.
Email = Annotated[
    str, Field(max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00.]+(\.[^@\s\x00.]+)+$")
]
Password = Annotated[str, text(256, min_length=8)]


class Registration(BaseModel):
    """Roles are the platform's to grant: a body naming them is refused (422)."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, text(320)]
    password: Annotated[str, text(256)]


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


@router.post("/users", status_code=201, responses=problems(409))
async def register(body: Registration, request: Request) -> UserOut:
    user = await service.register(request.app.state.db, body.email, body.password)
    return UserOut.of(user)


@router.post("/auth/login", responses=problems(401))
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


@router.get("/users/me", responses=problems(401, 404))
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
