"""HTTP routes of the order service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from system_under_test.common.auth import CurrentPrincipal
from system_under_test.common.bounds import JSON_INTEGER, MAX_OFFSET
from system_under_test.common.openapi import problems
from system_under_test.common.problems import Problem

from . import repository, service
from .domain import Order, OrderStatus, request_fingerprint

router = APIRouter()

MAX_ITEMS = 50


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: uuid.UUID
    quantity: Annotated[int, Field(gt=0, le=100), JSON_INTEGER]


class OrderRequest(BaseModel):
    """What a customer may say about an order; prices, totals and status are the
    platform's, so a body naming them is refused (422), never obeyed."""

    model_config = ConfigDict(extra="forbid")

    items: list[OrderLine] = Field(
        min_length=1, max_length=MAX_ITEMS, description="Lines naming one product twice are merged"
    )
    payment_method: str = Field(
        default="card",
        pattern=r"^[a-z_]{1,32}$",
        description="Token of the payment method; 'card_declined' is declined by the provider",
    )


class OrderItemOut(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    unit_price_cents: int
    quantity: int


class OrderOut(BaseModel):
    id: uuid.UUID
    customer_id: str
    status: OrderStatus
    total_cents: int
    currency: str
    payment_method: str
    items: list[OrderItemOut]
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            customer_id=order.customer_id,
            status=order.status,
            total_cents=order.total_cents,
            currency=order.currency,
            payment_method=order.payment_method,
            items=[OrderItemOut(**i.__dict__) for i in order.items],
            cancel_reason=order.cancel_reason,
            created_at=order.created_at,
            updated_at=order.updated_at,
            completed_at=order.completed_at,
        )


class OrderPage(BaseModel):
    items: list[OrderOut]
    total: int
    limit: int
    offset: int


# Visible ASCII, no blank at either end (HTTP drops those): what a key can be as sent.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]{0,198}[\x21-\x7e])?$"
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Client-chosen key (1-200 printable characters); replays return the same order",
    ),
]


@router.post("/orders", status_code=202, responses=problems(401, 409, 422, 503))
async def place_order(
    body: OrderRequest,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey,
) -> OrderOut:
    quantities: dict[uuid.UUID, int] = {}
    for line in body.items:
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    order, created = await service.place_order(
        request.app.state.db,
        request.app.state.catalog,
        customer_id=principal.subject,
        idempotency_key=idempotency_key,
        fingerprint=request_fingerprint(body.model_dump(mode="json")),
        quantities=quantities,
        payment_method=body.payment_method,
    )
    if created and request.app.state.relay is not None:
        request.app.state.relay.wake.set()
    response.headers["Location"] = f"/orders/{order.id}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return OrderOut.of(order)


@router.get("/orders", responses=problems(401, 403))
async def list_orders(
    request: Request,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    status: OrderStatus | None = None,
    all_customers: Annotated[
        bool, Query(description="Admins only: every customer's orders")
    ] = False,
) -> OrderPage:
    if all_customers and not principal.is_admin:
        raise Problem(403, "Only admins can list every customer's orders.")
    customer = None if all_customers else principal.subject
    async with request.app.state.db.session() as session:
        orders, total = await repository.list_orders(
            session, customer, status.value if status else None, limit, offset
        )
    return OrderPage(
        items=[OrderOut.of(o) for o in orders], total=total, limit=limit, offset=offset
    )


@router.get("/orders/{order_id}", responses=problems(401, 404))
async def get_order(order_id: uuid.UUID, request: Request, principal: CurrentPrincipal) -> OrderOut:
    order = await service.get_order(
        request.app.state.db, order_id, principal.subject, principal.is_admin
    )
    return OrderOut.of(order)


@router.post("/orders/{order_id}/cancel", responses=problems(401, 404, 409))
async def cancel_order(
    order_id: uuid.UUID, request: Request, principal: CurrentPrincipal
) -> OrderOut:
    order = await service.cancel_by_customer(
        request.app.state.db, order_id, principal.subject, principal.is_admin
    )
    if request.app.state.relay is not None:
        request.app.state.relay.wake.set()
    return OrderOut.of(order)
