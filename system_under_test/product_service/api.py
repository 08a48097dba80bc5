"""HTTP routes of the product service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from system_under_test.common.auth import AdminPrincipal
from system_under_test.common.problems import Problem

from . import repository
from .domain import MAX_PAGE_SIZE, Product, ProductFilter, parse_attribute_filters

router = APIRouter()

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Price = Annotated[int, Field(gt=0, le=100_000_000, description="Price in minor units (cents)")]
Stock = Annotated[int, Field(ge=0, le=1_000_000)]


class ProductIn(BaseModel):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    price_cents: Price
    currency: Currency = "EUR"
    attributes: dict[str, Any] = Field(default_factory=dict)
    stock: Stock = 0


class ProductPatch(BaseModel):
    sku: Sku | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price_cents: Price | None = None
    currency: Currency | None = None
    attributes: dict[str, Any] | None = None


class StockLevel(BaseModel):
    product_id: uuid.UUID
    stock: Stock


class StockIn(BaseModel):
    stock: Stock


class ProductOut(BaseModel):
    id: uuid.UUID
    sku: str
    name: str
    description: str
    price_cents: int
    currency: str
    attributes: dict[str, Any]
    stock: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(**product.__dict__)


class ProductPage(BaseModel):
    items: list[ProductOut]
    total: int
    limit: int
    offset: int


def _not_found(product_id: uuid.UUID) -> Problem:
    return Problem(404, f"Product {product_id} does not exist.")


@router.get("/products")
async def list_products(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    q: Annotated[str | None, Query(max_length=100)] = None,
    ids: Annotated[str | None, Query(description="Comma-separated product ids")] = None,
    min_price_cents: Annotated[int | None, Query(ge=0)] = None,
    max_price_cents: Annotated[int | None, Query(ge=0)] = None,
    in_stock: bool | None = None,
    attr: Annotated[list[str], Query(description="Attribute filter key:value, repeatable")] = [],  # noqa: B006
) -> ProductPage:
    try:
        id_list = tuple(uuid.UUID(i) for i in ids.split(",") if i.strip()) if ids else ()
        attributes = parse_attribute_filters(attr)
    except ValueError as exc:
        raise Problem(400, f"Invalid filter: {exc}") from exc
    if len(id_list) > MAX_PAGE_SIZE:
        raise Problem(400, f"At most {MAX_PAGE_SIZE} ids per request.")
    f = ProductFilter(q, id_list, min_price_cents, max_price_cents, in_stock, attributes)
    async with request.app.state.db.session() as session:
        items, total = await repository.list_products(session, f, limit, offset)
    return ProductPage(
        items=[ProductOut.of(p) for p in items], total=total, limit=limit, offset=offset
    )


@router.get("/products/{product_id}")
async def get_product(product_id: uuid.UUID, request: Request) -> ProductOut:
    async with request.app.state.db.session() as session:
        product = await repository.get_product(session, product_id)
    if product is None:
        raise _not_found(product_id)
    return ProductOut.of(product)


@router.post("/products", status_code=201)
async def create_product(body: ProductIn, request: Request, _: AdminPrincipal) -> ProductOut:
    async with request.app.state.db.session() as session, session.begin():
        product = await repository.insert_product(session, body.model_dump())
    if product is None:
        raise Problem(409, f"A product with SKU {body.sku!r} already exists.")
    return ProductOut.of(product)


@router.patch("/products/{product_id}")
async def update_product(
    product_id: uuid.UUID, body: ProductPatch, request: Request, _: AdminPrincipal
) -> ProductOut:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise Problem(400, "The patch changes nothing.")
    if any(value is None for value in changes.values()):
        raise Problem(400, "Fields cannot be set to null.")
    try:
        async with request.app.state.db.session() as session, session.begin():
            product = await repository.update_product(session, product_id, changes)
    except IntegrityError as exc:
        raise Problem(409, f"A product with SKU {changes.get('sku')!r} already exists.") from exc
    if product is None:
        raise _not_found(product_id)
    return ProductOut.of(product)


@router.get("/products/{product_id}/stock")
async def get_stock(product_id: uuid.UUID, request: Request) -> StockLevel:
    product = await get_product(product_id, request)
    return StockLevel(product_id=product.id, stock=product.stock)


@router.put("/products/{product_id}/stock")
async def set_stock(
    product_id: uuid.UUID, body: StockIn, request: Request, _: AdminPrincipal
) -> StockLevel:
    async with request.app.state.db.session() as session, session.begin():
        product = await repository.update_product(session, product_id, {"stock": body.stock})
    if product is None:
        raise _not_found(product_id)
    return StockLevel(product_id=product.id, stock=product.stock)
