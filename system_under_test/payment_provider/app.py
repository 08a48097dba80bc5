"""payment-provider app factory."""

from __future__ import annotations

from fastapi import FastAPI

from system_under_test.common.app_factory import build_app

from .api import behaviour_router, router
from .ledger import Ledger
from .settings import ProviderSettings


def create_app(settings: ProviderSettings | None = None) -> FastAPI:
    settings = settings or ProviderSettings()
    app = build_app(settings, routers=[router, behaviour_router(settings.admin_token)])
    app.state.ledger = Ledger()
    return app
