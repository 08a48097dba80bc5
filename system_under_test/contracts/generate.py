"""Builds the services' OpenAPI document from their routers (no server, no database)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from system_under_test.common.openapi import document_problems

TITLE = "Commerce platform services"
VERSION = "1"


def services_document() -> dict[str, Any]:
    """Every public operation of the user, product, order and payment services."""
    from system_under_test.order_service.api import router as orders
    from system_under_test.payment_service.api import router as payments
    from system_under_test.product_service.api import router as products
    from system_under_test.user_service.api import router as users

    app = FastAPI(title=TITLE, version=VERSION)
    for router in (users, products, orders, payments):
        app.include_router(router)
    document_problems(app)
    document = app.openapi()
    document["info"]["x-generated-by"] = "python -m system_under_test.contracts (do not edit)"
    return document
