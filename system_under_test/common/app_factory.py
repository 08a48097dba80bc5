"""Builds a service's FastAPI app with all the shared plumbing wired the same way."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import Lifespan

from .faults import FaultInjectionMiddleware, FaultRegistry, fault_router
from .health import ReadinessCheck, health_router
from .logs import configure_logging
from .middleware import ObservabilityMiddleware
from .problems import install_problem_handlers
from .settings import ServiceSettings
from .tracing import configure_tracing, instrument_app


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter],
    lifespan: Lifespan[FastAPI] | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
    app = FastAPI(title=title, lifespan=lifespan)
    app.state.settings = settings
    install_problem_handlers(app)
    faults = FaultRegistry()
    app.state.faults = faults
    app.include_router(health_router(readiness or {}))
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
