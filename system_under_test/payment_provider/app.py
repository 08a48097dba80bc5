"""payment-provider app factory."""

from __future__ import annotations

from fastapi import FastAPI

from system_under_test.common.app_factory import build_app

from .api import admin_router, router
from .ledger import Ledger
from .settings import ProviderSettings


def create_app(settings: ProviderSettings | None = None) -> FastAPI:
    settings = settings or ProviderSettings()
    ledger = Ledger(settings.ledger_path)

    async def close_ledger() -> None:
        ledger.close()

    app = build_app(
        settings, routers=[router, admin_router(settings.admin_token)], on_shutdown=[close_ledger]
    )
    app.state.ledger = ledger
    return app
