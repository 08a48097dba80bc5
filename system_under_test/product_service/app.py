"""product-service app factory: the only place its parts are wired together."""

from __future__ import annotations

from fastapi import FastAPI

from system_under_test.common.app_factory import build_app
from system_under_test.common.database import Database
from system_under_test.common.messaging.wiring import messaging

from . import repository
from .api import router
from .handlers import HANDLERS
from .settings import ProductSettings


def create_app(settings: ProductSettings | None = None) -> FastAPI:
    settings = settings or ProductSettings()
    db = Database(settings.database_url, settings.db_pool_size)
    wired = messaging(
        settings, db, outbox=repository.outbox, inbox=repository.inbox, handlers=HANDLERS
    )
    return build_app(
        settings, routers=[router, *wired.routers], database=db, background=wired.background
    )
