"""Gateway app factory: the only place its parts are wired together."""

from __future__ import annotations

from fastapi import FastAPI

from system_under_test.common.app_factory import build_app
from system_under_test.common.auth import JwksVerifier
from system_under_test.common.http_client import PeerClient
from system_under_test.contracts import load_services_contract

from .contract import public_contract
from .proxy import Gateway, ResponseHeadersMiddleware, build_router
from .ratelimit import ClientRateLimiter
from .routing import load_route_table
from .settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstream_urls = settings.upstream_urls()
    table = load_route_table(settings.routes_file, upstream_urls)
    contract = public_contract(table, load_services_contract())
    upstreams = {
        name: PeerClient(
            settings.service_name,
            name,
            url,
            timeout=settings.upstream_timeout_s,
            failure_threshold=settings.breaker_failure_threshold,
            reset_timeout=settings.breaker_reset_s,
            min_failing_callers=settings.breaker_min_failing_clients,
        )
        for name, url in upstream_urls.items()
    }
    verifier = JwksVerifier(settings.jwks_url, settings.jwt_audience, settings.jwt_issuer)
    gateway = Gateway(
        verifier=verifier,
        limiter=ClientRateLimiter(settings.rate_limit, settings.rate_limit_storage_url),
        upstreams=upstreams,
        max_body_bytes=settings.max_body_bytes,
        timeout_s=settings.upstream_timeout_s,
        body_timeout_s=settings.body_timeout_s,
    )

    async def route_table_loaded() -> None:
        # Deliberately not the upstreams: a dead service must show up as 5xx in the
        # gateway's SLIs, not take the gateway out of rotation.
        if not table.routes:
            raise RuntimeError(f"no routes loaded from {table.source}")

    async def close_upstreams() -> None:
        for client in upstreams.values():
            await client.aclose()

    app = build_app(
        settings,
        title="gateway",
        routers=[build_router(table, gateway)],
        readiness={"route_table": route_table_loaded},
        on_shutdown=[close_upstreams],
        verifier=verifier,
    )
    app.add_middleware(ResponseHeadersMiddleware, table=table, routes=app.router.routes)
    app.state.route_table = table
    # /openapi.json publishes the public API, not the gateway's own operational routes.
    app.openapi = lambda: contract  # type: ignore[method-assign]
    return app
