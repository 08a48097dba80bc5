"""HTTP routes of the order service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from system_under_test.common.auth import CurrentPrincipal
from system_under_test.common.problems import Problem

from . import repository, service
from .domain import Order, OrderStatus, request_fingerprint

router = APIRouter()

MAX_ITEMS = 50


class OrderLine(BaseModel):
    product_id: uuid.UUID
    quantity: int = Field(gt=0, le=100)


class OrderRequest(BaseModel):
    items: list[OrderLine] = Field(min_length=1, max_length=MAX_ITEMS)
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


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Client-chosen key; replays return the same order"),
]


@router.post("/orders", status_code=202)
async def place_order(
    body: OrderRequest,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> OrderOut:
    if not idempotency_key or len(idempotency_key) > 200 or not idempotency_key.isprintable():
        raise Problem(400, "An Idempotency-Key header (1-200 printable characters) is required.")
    quantities: dict[uuid.UUID, int] = {}
    for line in body.items:
        if line.product_id in quantities:
            raise Problem(
                422, f"Product {line.product_id} appears more than once; merge the lines."
            )
        quantities[line.product_id] = line.quantity
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


@router.get("/orders")
async def list_orders(
    request: Request,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
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


@router.get("/orders/{order_id}")
async def get_order(order_id: uuid.UUID, request: Request, principal: CurrentPrincipal) -> OrderOut:
    order = await service.get_order(
        request.app.state.db, order_id, principal.subject, principal.is_admin
    )
    return OrderOut.of(order)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    order_id: uuid.UUID, request: Request, principal: CurrentPrincipal
) -> OrderOut:
    order = await service.cancel_by_customer(
        request.app.state.db, order_id, principal.subject, principal.is_admin
    )
    if request.app.state.relay is not None:
        request.app.state.relay.wake.set()
    return OrderOut.of(order)
