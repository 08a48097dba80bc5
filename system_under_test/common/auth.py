"""JWT verification against the user service's JWKS (cached, refreshed on unknown kid)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Header, Request

from .problems import Problem

ALGORITHMS = ["RS256"]
# An unknown kid triggers at most one refetch per interval, so forged kids cannot
# turn every request into a JWKS download.
MIN_REFRESH_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class TokenError(Exception):
    pass


JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


class JwksVerifier:
    """Verifies RS256 tokens; keys come from ``jwks_url`` or, for the user service
    itself, from ``fetch`` (its own key store)."""

    def __init__(
        self,
        jwks_url: str,
        audience: str,
        issuer: str | None = None,
        fetch: JwksFetcher | None = None,
    ) -> None:
        self.jwks_url = jwks_url
        self.audience = audience
        self.issuer = issuer
        self._fetch = fetch or self._fetch_over_http
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch_over_http(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(self.jwks_url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < MIN_REFRESH_INTERVAL_S and self._keys:
                return
            document = await self._fetch()
            keys = {}
            for jwk in document.get("keys", []):
                keys[jwk["kid"]] = jwt.PyJWK.from_json(json.dumps(jwk)).key
            self._keys = keys
            self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> Any:
        if kid not in self._keys:
            try:
                await self._refresh()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise TokenError("signing keys are unavailable right now") from exc
        if kid not in self._keys:
            raise TokenError("token signed with an unknown key")
        return self._keys[kid]

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("malformed token") from exc
        if header.get("alg") not in ALGORITHMS:
            raise TokenError(f"token algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenError("token has no key id")
        key = await self._key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise TokenError(f"token rejected: {exc}") from exc
        roles = claims.get("roles", [])
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(r for r in roles if isinstance(r, str)),
            claims=claims,
        )


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Problem(
            401,
            "Authentication required: send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "Authorization header must use the Bearer scheme.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


async def authenticate(verifier: JwksVerifier, authorization: str | None) -> Principal:
    token = bearer_token(authorization)
    try:
        return await verifier.verify(token)
    except TokenError as exc:
        raise Problem(
            401,
            f"Invalid token: {exc}",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc


async def current_principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """FastAPI dependency; the app keeps its verifier in ``app.state.verifier``."""
    return await authenticate(request.app.state.verifier, authorization)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin:
        raise Problem(403, "This operation requires the admin role.")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]
