"""user-service app factory: the only place its parts are wired together."""

from __future__ import annotations

from fastapi import FastAPI

from system_under_test.common.app_factory import build_app
from system_under_test.common.auth import JwksVerifier
from system_under_test.common.database import Database

from . import service
from .api import router
from .settings import UserSettings


def create_app(settings: UserSettings | None = None) -> FastAPI:
    settings = settings or UserSettings()
    db = Database(settings.database_url, settings.db_pool_size)
    keys = service.KeyStore(db, settings.signing_key_pem)

    async def seed_admin() -> None:
        await service.ensure_admin(db, settings.admin_email, settings.admin_password)

    app = build_app(
        settings,
        routers=[router],
        database=db,
        on_startup=[keys.load, seed_admin],
        # Tokens are verified against our own key store, not over HTTP to ourselves.
        verifier=JwksVerifier(
            settings.jwks_url, settings.jwt_audience, settings.jwt_issuer, fetch=keys.jwks
        ),
    )
    app.state.keys = keys
    return app
