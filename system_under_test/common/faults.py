"""Fault injection: an admin API sets latency and/or an error rate per route pattern.

Chaos experiments use it to degrade a service on purpose. Patterns are shell-style
globs on the request path (``/orders*``); ``/admin/*``, ``/healthz`` and ``/metrics``
are never affected, so a faulted service can always be repaired and observed.
"""

from __future__ import annotations

import asyncio
import fnmatch
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from .metrics import FAULTS_INJECTED
from .problems import Problem, problem_response

EXEMPT_PREFIXES = ("/admin/", "/healthz", "/readyz", "/metrics")


class FaultRule(BaseModel):
    route: str = Field(
        min_length=1,
        max_length=200,
        description="Glob matched against the request path, e.g. /orders*",
    )
    method: str = Field(default="*", pattern=r"^(\*|[A-Z]{1,10})$", description="HTTP method or *")
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=400, le=599)
    expires_in_s: float | None = Field(
        default=None, gt=0, description="Remove the rule by itself after this many seconds"
    )


class FaultState(BaseModel):
    rules: list[FaultRule] = Field(default_factory=list, max_length=100)


class FaultRegistry:
    def __init__(self) -> None:
        self._rules: list[tuple[FaultRule, float | None]] = []

    def set(self, rules: list[FaultRule]) -> None:
        now = time.monotonic()
        self._rules = [(r, now + r.expires_in_s if r.expires_in_s else None) for r in rules]

    def clear(self) -> None:
        self._rules = []

    def active(self) -> list[FaultRule]:
        now = time.monotonic()
        self._rules = [(r, exp) for r, exp in self._rules if exp is None or exp > now]
        return [r for r, _ in self._rules]

    def match(self, method: str, path: str) -> FaultRule | None:
        if not self._rules or path.startswith(EXEMPT_PREFIXES):  # every request passes here
            return None
        for rule in self.active():
            if rule.method not in ("*", method):
                continue
            if fnmatch.fnmatchcase(path, rule.route):
                return rule
        return None


class FaultInjectionMiddleware:
    def __init__(self, app: ASGIApp, registry: FaultRegistry, service: str) -> None:
        self.app = app
        self.registry = registry
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = (
            self.registry.match(scope["method"], scope["path"]) if scope["type"] == "http" else None
        )
        if rule is not None:
            if rule.latency_ms:
                FAULTS_INJECTED.labels(self.service, "latency").inc()
                await asyncio.sleep(rule.latency_ms / 1000)
            if rule.error_rate and random.random() < rule.error_rate:
                FAULTS_INJECTED.labels(self.service, "error").inc()
                response = problem_response(
                    rule.error_status,
                    f"Injected fault on {rule.route} ({self.service})",
                    title="Injected fault",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def admin_guard(admin_token: str) -> Callable[..., Awaitable[None]]:
    async def check(x_admin_token: Annotated[str | None, Header()] = None) -> None:
        if not x_admin_token or not secrets.compare_digest(x_admin_token, admin_token):
            raise Problem(401, "A valid X-Admin-Token header is required for admin endpoints.")

    return check


def fault_router(registry: FaultRegistry, admin_token: str) -> APIRouter:
    router = APIRouter(
        prefix="/admin/faults", tags=["admin"], dependencies=[Depends(admin_guard(admin_token))]
    )

    @router.get("")
    async def list_faults() -> FaultState:
        return FaultState(rules=registry.active())

    @router.put("")
    async def replace_faults(state: FaultState) -> FaultState:
        registry.set(state.rules)
        return FaultState(rules=registry.active())

    @router.delete("", status_code=204)
    async def clear_faults() -> None:
        registry.clear()

    return router
