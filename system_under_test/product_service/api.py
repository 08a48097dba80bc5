"""HTTP routes of the product service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from sqlalchemy.exc import IntegrityError

from system_under_test.common.auth import AdminPrincipal
from system_under_test.common.bounds import JSON_INTEGER, MAX_OFFSET, NO_NUL, text
from system_under_test.common.openapi import problems
from system_under_test.common.problems import Problem, invalid_field

from . import repository
from .domain import (
    MAX_ATTRIBUTE_FILTERS,
    MAX_ATTRIBUTE_KEY,
    MAX_ATTRIBUTE_LIST,
    MAX_ATTRIBUTE_NUMBER,
    MAX_ATTRIBUTE_TEXT,
    MAX_ATTRIBUTES,
    MAX_PAGE_SIZE,
    MAX_PRICE_CENTS,
    MAX_STOCK,
    Product,
    ProductFilter,
    check_attributes,
    parse_attribute_filters,
)

router = APIRouter()

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Price = Annotated[
    int,
    Field(gt=0, le=MAX_PRICE_CENTS, description="Price in minor units (cents)"),
    JSON_INTEGER,
]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK), JSON_INTEGER]
Name = Annotated[str, text(200, min_length=1)]
Description = Annotated[str, text(5000)]

# Free-form attributes: the rule is the domain's, the schema says the same for clients.
_SCALARS: list[dict[str, Any]] = [
    {"type": "boolean"},
    {"type": "integer", "minimum": -MAX_ATTRIBUTE_NUMBER, "maximum": MAX_ATTRIBUTE_NUMBER},
    {"type": "number", "minimum": -MAX_ATTRIBUTE_NUMBER, "maximum": MAX_ATTRIBUTE_NUMBER},
    {"type": "string", "maxLength": MAX_ATTRIBUTE_TEXT, "pattern": NO_NUL},
    {"type": "null"},
]
ATTRIBUTES_SCHEMA = {
    "type": "object",
    "description": "Scalars, or lists of scalars, by name",
    "maxProperties": MAX_ATTRIBUTES,
    "propertyNames": {"minLength": 1, "maxLength": MAX_ATTRIBUTE_KEY, "pattern": NO_NUL},
    "additionalProperties": {
        "anyOf": [
            *_SCALARS,
            {"type": "array", "maxItems": MAX_ATTRIBUTE_LIST, "items": {"anyOf": _SCALARS}},
        ]
    },
}
Attributes = Annotated[
    dict[str, Any], AfterValidator(check_attributes), WithJsonSchema(ATTRIBUTES_SCHEMA)
]

_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
IDS_PATTERN = rf"^{_UUID}(,{_UUID}){{0,{MAX_PAGE_SIZE - 1}}}$"
# key:value, the key holding at least one character that is neither blank nor a colon.
ATTRIBUTE_FILTER_PATTERN = r"^[^:\x00]*[^\s:\x00][^:\x00]*:[^\x00]*$"
AttributeFilter = Annotated[str, Field(max_length=200, pattern=ATTRIBUTE_FILTER_PATTERN)]


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Name
    description: Description = ""
    price_cents: Price
    currency: Currency = "EUR"
    attributes: Attributes = Field(default_factory=dict)
    stock: Stock = 0


def _patch_schema(schema: dict[str, Any]) -> None:
    """The patch's fields are optional, never null, and it changes at least one."""
    for field in schema["properties"].values():
        variants = [v for v in field.pop("anyOf", []) if v != {"type": "null"}]
        if len(variants) == 1:
            field.update(variants[0])
        field.pop("default", None)
    schema["minProperties"] = 1


class ProductPatch(BaseModel):
    """Only the fields sent change; null is not a value any of them can take."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_patch_schema)

    sku: Sku | None = None
    name: Name | None = None
    description: Description | None = None
    price_cents: Price | None = None
    currency: Currency | None = None
    attributes: Attributes | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> ProductPatch:
        if not self.model_fields_set:
            raise ValueError("the patch changes nothing: send at least one field")
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"fields cannot be set to null: {', '.join(nulls)}")
        return self


class StockLevel(BaseModel):
    product_id: uuid.UUID
    stock: Stock


class StockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


@router.get("/products", responses=problems(422))
async def list_products(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    ids: Annotated[
        str | None,
        Query(
            max_length=37 * MAX_PAGE_SIZE,
            pattern=IDS_PATTERN,
            description=f"Comma-separated product ids (at most {MAX_PAGE_SIZE})",
        ),
    ] = None,
    min_price_cents: Annotated[int | None, Query(ge=0, le=MAX_PRICE_CENTS)] = None,
    max_price_cents: Annotated[int | None, Query(ge=0, le=MAX_PRICE_CENTS)] = None,
    in_stock: bool | None = None,
    attr: Annotated[
        list[AttributeFilter],
        Query(
            max_length=MAX_ATTRIBUTE_FILTERS,
            description="Attribute filter key:value, repeatable",
        ),
    ] = [],  # noqa: B006
) -> ProductPage:
    id_list = tuple(uuid.UUID(i) for i in ids.split(",")) if ids else ()
    try:
        attributes = parse_attribute_filters(attr)
    except ValueError as exc:
        raise invalid_field("query.attr", str(exc)) from exc
    f = ProductFilter(q, id_list, min_price_cents, max_price_cents, in_stock, attributes)
    async with request.app.state.db.session() as session:
        items, total = await repository.list_products(session, f, limit, offset)
    return ProductPage(
        items=[ProductOut.of(p) for p in items], total=total, limit=limit, offset=offset
    )


@router.get("/products/{product_id}", responses=problems(404))
async def get_product(product_id: uuid.UUID, request: Request) -> ProductOut:
    async with request.app.state.db.session() as session:
        product = await repository.get_product(session, product_id)
    if product is None:
        raise _not_found(product_id)
    return ProductOut.of(product)


@router.post("/products", status_code=201, responses=problems(401, 403, 409))
async def create_product(body: ProductIn, request: Request, _: AdminPrincipal) -> ProductOut:
    async with request.app.state.db.session() as session, session.begin():
        product = await repository.insert_product(session, body.model_dump())
    if product is None:
        raise Problem(409, f"A product with SKU {body.sku!r} already exists.")
    return ProductOut.of(product)


@router.patch("/products/{product_id}", responses=problems(401, 403, 404, 409))
async def update_product(
    product_id: uuid.UUID, body: ProductPatch, request: Request, _: AdminPrincipal
) -> ProductOut:
    changes = body.model_dump(exclude_unset=True)
    try:
        async with request.app.state.db.session() as session, session.begin():
            product = await repository.update_product(session, product_id, changes)
    except IntegrityError as exc:
        raise Problem(409, f"A product with SKU {changes.get('sku')!r} already exists.") from exc
    if product is None:
        raise _not_found(product_id)
    return ProductOut.of(product)


@router.get("/products/{product_id}/stock", responses=problems(404))
async def get_stock(product_id: uuid.UUID, request: Request) -> StockLevel:
    product = await get_product(product_id, request)
    return StockLevel(product_id=product.id, stock=product.stock)


@router.put("/products/{product_id}/stock", responses=problems(401, 403, 404))
async def set_stock(
    product_id: uuid.UUID, body: StockIn, request: Request, _: AdminPrincipal
) -> StockLevel:
    async with request.app.state.db.session() as session, session.begin():
        product = await repository.update_product(session, product_id, {"stock": body.stock})
    if product is None:
        raise _not_found(product_id)
    return StockLevel(product_id=product.id, stock=product.stock)
