"""payment-service app factory: the only place its parts are wired together."""

from __future__ import annotations

from fastapi import FastAPI

from system_under_test.common.app_factory import build_app
from system_under_test.common.database import Database
from system_under_test.common.http_client import PeerClient
from system_under_test.common.messaging.wiring import messaging

from . import repository
from .api import router
from .handlers import saga_handlers
from .provider import PaymentProvider
from .settings import PaymentSettings


def create_app(settings: PaymentSettings | None = None) -> FastAPI:
    settings = settings or PaymentSettings()
    db = Database(settings.database_url, settings.db_pool_size)
    client = PeerClient(
        settings.service_name,
        "payment-provider",
        settings.provider_url,
        settings.provider_timeout_s,
    )
    provider = PaymentProvider(client, settings.provider_attempts)
    wired = messaging(
        settings,
        db,
        outbox=repository.outbox,
        inbox=repository.inbox,
        handlers=saga_handlers(provider, settings.give_up_after_s),
    )
    app = build_app(
        settings,
        routers=[router, *wired.routers],
        database=db,
        background=wired.background,
        on_shutdown=[client.aclose],
    )
    app.state.provider = provider
    return app
