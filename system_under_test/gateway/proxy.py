"""Per-request gateway work: authenticate, rate limit, forward, rewrite response headers."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence

import httpx
from fastapi import APIRouter, Request, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from system_under_test.common.auth import JwksVerifier, Principal, authenticate
from system_under_test.common.http_client import CircuitOpenError, PeerClient
from system_under_test.common.logs import request_id_var
from system_under_test.common.metrics import GATEWAY_RATE_LIMITED
from system_under_test.common.middleware import route_template
from system_under_test.common.problems import Problem

from .ratelimit import ClientRateLimiter
from .routing import Access, HeaderRules, Route, RouteTable

# Request headers the services need; everything else (cookies, hop-by-hop headers,
# spoofed internal headers) stays at the edge. traceparent is added by the httpx
# instrumentation from the current span.
FORWARDED_REQUEST_HEADERS = ("authorization", "content-type", "idempotency-key", "accept")
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# httpx hands us the decoded body, Starlette sets the length of what we send, and our
# own server stamps the date (forwarding the upstream's would send two).
RECOMPUTED = frozenset({"content-length", "content-encoding", "date"})


class Gateway:
    def __init__(
        self,
        verifier: JwksVerifier,
        limiter: ClientRateLimiter,
        upstreams: Mapping[str, PeerClient],
        max_body_bytes: int,
        timeout_s: float,
        body_timeout_s: float,
    ) -> None:
        self.verifier = verifier
        self.limiter = limiter
        self.upstreams = upstreams
        self.max_body_bytes = max_body_bytes
        self.timeout_s = timeout_s
        self.body_timeout_s = body_timeout_s

    async def handle(self, route: Route, request: Request) -> Response:
        access = route.methods.get(request.method)
        if access is None:  # HEAD on a GET route, say
            raise Problem(
                405,
                f"{request.method} is not allowed on {route.path}.",
                headers={"Allow": ", ".join(route.methods)},
            )
        self._reject_declared_oversize(request)
        principal: Principal | None = None
        auth_failure: Problem | None = None
        if access is not Access.PUBLIC:
            try:
                principal = await authenticate(self.verifier, request.headers.get("authorization"))
            except Problem as exc:
                auth_failure = exc  # still counted against the caller's IP first
        client = _client_key(request, principal)
        await self._rate_limit(route, request, client)
        if auth_failure is not None:
            raise auth_failure
        if access is Access.ADMIN and principal is not None and not principal.is_admin:
            raise Problem(403, f"{request.method} {route.path} requires the admin role.")
        body = await self._read_body(request)
        upstream = await self._forward(self.upstreams[route.upstream], request, body, client)
        response = Response(content=upstream.content, status_code=upstream.status_code)
        response.raw_headers.extend(
            (name, value)
            for name, value in upstream.headers.raw
            if name.lower().decode("latin-1") not in HOP_BY_HOP | RECOMPUTED
        )
        return response

    def _reject_declared_oversize(self, request: Request) -> None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise self._too_large()

    def _too_large(self) -> Problem:
        return Problem(413, f"Request body exceeds the limit of {self.max_body_bytes} bytes.")

    async def _read_body(self, request: Request) -> bytes:
        """The whole body, within the size limit and the time limit: a client that
        trickles its body must not hold a request (and a connection) open for long."""
        body = bytearray()
        try:
            async with asyncio.timeout(self.body_timeout_s):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > self.max_body_bytes:
                        raise self._too_large()
        except TimeoutError as exc:
            raise Problem(
                408,
                f"The request body did not arrive within {self.body_timeout_s:g} s.",
                headers={"Connection": "close"},
            ) from exc
        return bytes(body)

    async def _rate_limit(self, route: Route, request: Request, client: str) -> None:
        extra = route.rate_limits.get(request.method, ())
        scope = f"{request.method} {route.path}"
        retry_after = await self.limiter.acquire(client, extra, scope)
        if retry_after is None:
            return
        GATEWAY_RATE_LIMITED.labels(route.path).inc()
        raise Problem(
            429,
            "Too many requests from this client; retry after the time in Retry-After.",
            headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
        )

    async def _forward(
        self, peer: PeerClient, request: Request, body: bytes, client: str
    ) -> httpx.Response:
        headers = {
            name: value
            for name in FORWARDED_REQUEST_HEADERS
            if (value := request.headers.get(name)) is not None
        }
        headers["x-request-id"] = request_id_var.get()
        if request.client:
            headers["x-forwarded-for"] = request.client.host
        # The raw path keeps the client's percent-encoding intact.
        target = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        if query := request.scope.get("query_string", b"").decode("latin-1"):
            target = f"{target}?{query}"
        service = f"The {peer.peer} service"
        try:
            return await peer.request(
                request.method, target, content=body, headers=headers, caller=client
            )
        except CircuitOpenError as exc:
            raise Problem(
                503,
                f"{service} is unavailable (circuit open after repeated failures).",
                headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
            ) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Problem(503, f"{service} is unreachable.") from exc
        except httpx.TimeoutException as exc:
            raise Problem(504, f"{service} did not answer within {self.timeout_s:g} s.") from exc
        except httpx.HTTPError as exc:
            raise Problem(502, f"{service} sent no valid response.") from exc


def _client_key(request: Request, principal: Principal | None) -> str:
    """Who is asking: the token's subject when there is one, else the address."""
    if principal is not None:
        return f"sub:{principal.subject}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


def build_router(table: RouteTable, gateway: Gateway) -> APIRouter:
    """One FastAPI route per template, so metrics carry the template as ``route``."""
    router = APIRouter()
    for route in table.routes:
        router.add_api_route(
            route.path,
            _endpoint(gateway, route),
            methods=list(route.methods),
            name=route.path,
            include_in_schema=False,
        )
    return router


def _endpoint(gateway: Gateway, route: Route) -> Callable[[Request], Awaitable[Response]]:
    async def forward(request: Request) -> Response:
        return await gateway.handle(route, request)

    return forward


def rewrite_headers(
    headers: Sequence[tuple[bytes, bytes]], rules: HeaderRules, no_store: bool
) -> list[tuple[bytes, bytes]]:
    overrides = dict(rules.set)
    if no_store:
        overrides["cache-control"] = "no-store"
    kept = [
        (name, value)
        for name, value in headers
        if not rules.strips(lowered := name.decode("latin-1").lower()) and lowered not in overrides
    ]
    return kept + [(k.encode("latin-1"), v.encode("latin-1")) for k, v in overrides.items()]


class ResponseHeadersMiddleware:
    """Applies the route's header rules to every answer, proxied or produced here
    (401, 429, 503...), and marks authenticated answers as not cacheable."""

    def __init__(self, app: ASGIApp, table: RouteTable, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.table = table
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = self.table.find(route_template(scope, self.routes))
                rules = route.response if route else self.table.default_response
                no_store = route is not None and route.requires_token(scope["method"])
                message["headers"] = rewrite_headers(message.get("headers", []), rules, no_store)
            await send(message)

        await self.app(scope, receive, send_rewritten)
