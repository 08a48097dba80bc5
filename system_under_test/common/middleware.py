"""One ASGI middleware for request ids, the request metrics and the JSON access log."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import request_id_var
from .metrics import HTTP_SERVER_DURATION, HTTP_SERVER_IN_FLIGHT, status_class

access_log = logging.getLogger("access")

REQUEST_ID_HEADER = b"x-request-id"
# Paths that would drown the access log and the SLIs in scrape and probe noise.
QUIET_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


def route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The matched route's template; requests answered before routing (an injected
    fault, say) are matched here so they still count against their route."""
    route = scope.get("route")
    if route is None:
        route = next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _valid_request_id(value: str) -> bool:
    return 0 < len(value) <= 128 and value.isprintable()


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, service: str, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.service = service
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == REQUEST_ID_HEADER),
            "",
        )
        request_id = incoming if _valid_request_id(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *(h for h in message["headers"] if h[0].lower() != REQUEST_ID_HEADER),
                    (REQUEST_ID_HEADER, request_id.encode("latin-1")),
                ]
            await send(message)

        in_flight = HTTP_SERVER_IN_FLIGHT.labels(self.service)
        in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            in_flight.dec()
            elapsed = time.perf_counter() - started
            route = route_template(scope, self.routes)
            HTTP_SERVER_DURATION.labels(
                self.service, route, scope["method"], status_class(status)
            ).observe(elapsed)
            if scope["path"] not in QUIET_PATHS:
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
            request_id_var.reset(token)
