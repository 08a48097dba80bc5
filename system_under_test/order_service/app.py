"""order-service app factory: the only place its parts are wired together."""

from __future__ import annotations

from fastapi import FastAPI

from system_under_test.common.app_factory import build_app
from system_under_test.common.database import Database
from system_under_test.common.http_client import PeerClient
from system_under_test.common.messaging.wiring import messaging

from . import repository, service
from .api import router
from .handlers import HANDLERS
from .pricing import ProductCatalog
from .settings import OrderSettings


def create_app(settings: OrderSettings | None = None) -> FastAPI:
    settings = settings or OrderSettings()
    db = Database(settings.database_url, settings.db_pool_size)
    products = PeerClient(
        settings.service_name,
        "product-service",
        settings.product_url,
        settings.product_timeout_s,
        min_failing_callers=settings.breaker_min_failing_clients,
    )
    wired = messaging(
        settings, db, outbox=repository.outbox, inbox=repository.inbox, handlers=HANDLERS
    )
    app = build_app(
        settings,
        routers=[router, *wired.routers],
        database=db,
        background=wired.background,
        on_shutdown=[products.aclose],
    )
    service.preset_outcome_series()
    app.state.catalog = ProductCatalog(products)
    app.state.relay = wired.relay
    return app
