"""Builds a service's FastAPI app with all the shared plumbing wired the same way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import Lifespan

from .auth import JwksVerifier
from .database import Database
from .faults import FaultInjectionMiddleware, FaultRegistry, fault_router
from .health import ReadinessCheck, health_router
from .logs import configure_logging
from .middleware import ObservabilityMiddleware
from .openapi import document_problems
from .problems import install_problem_handlers
from .settings import ServiceSettings
from .tracing import configure_tracing, instrument_app, instrument_engine

Hook = Callable[[], Awaitable[None]]
log = logging.getLogger(__name__)


async def _run_forever(name: str, task: Hook) -> None:
    """Background loops must not die silently: log, back off and start again."""
    while True:
        try:
            await task()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s crashed; restarting in 1s", name)
            await asyncio.sleep(1)


def build_app(
    settings: ServiceSettings,
    *,
    routers: Sequence[APIRouter],
    title: str | None = None,
    lifespan: Lifespan[FastAPI] | None = None,
    database: Database | None = None,
    on_startup: Sequence[Hook] = (),
    background: dict[str, Hook] | None = None,
    on_shutdown: Sequence[Hook] = (),
    readiness: dict[str, ReadinessCheck] | None = None,
    verifier: JwksVerifier | None = None,
) -> FastAPI:
    """``on_startup`` hooks run in order before serving; ``background`` loops run while
    serving and are cancelled on shutdown; the database is disposed last."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
    checks = dict(readiness or {})
    if database is not None:
        instrument_engine(database.engine)
        checks.setdefault("database", database.ping)

    @contextlib.asynccontextmanager
    async def combined_lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in on_startup:
            await hook()
        extra = lifespan(app) if lifespan is not None else contextlib.nullcontext()
        await extra.__aenter__()
        tasks = [
            asyncio.create_task(_run_forever(name, loop), name=name)
            for name, loop in (background or {}).items()
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await extra.__aexit__(None, None, None)
            for hook in on_shutdown:
                await hook()
            if database is not None:
                await database.dispose()

    app = FastAPI(title=title or settings.service_name, lifespan=combined_lifespan)
    app.state.settings = settings
    app.state.db = database
    app.state.verifier = verifier or JwksVerifier(
        settings.jwks_url, settings.jwt_audience, settings.jwt_issuer
    )
    install_problem_handlers(app)
    document_problems(app)
    faults = FaultRegistry()
    app.state.faults = faults
    app.include_router(health_router(checks))
    app.include_router(fault_router(faults, settings.admin_token))
    for router in routers:
        app.include_router(router)
    # Added last = outermost: faulted requests are still measured and logged.
    app.add_middleware(FaultInjectionMiddleware, registry=faults, service=settings.service_name)
    app.add_middleware(
        ObservabilityMiddleware, service=settings.service_name, routes=app.router.routes
    )
    instrument_app(app)
    return app
