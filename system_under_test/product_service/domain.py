"""Products and their stock; the rules that keep stock consistent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_PAGE_SIZE = 100
MAX_ATTRIBUTE_FILTERS = 10
# A product costs at most a million in its currency; stock fits PostgreSQL integers.
MAX_PRICE_CENTS = 100_000_000
MAX_STOCK = 1_000_000


@dataclass(frozen=True)
class Product:
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


@dataclass(frozen=True)
class ProductFilter:
    q: str | None = None
    ids: tuple[uuid.UUID, ...] = ()
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    in_stock: bool | None = None
    attributes: tuple[tuple[str, str], ...] = ()


def parse_attribute_filters(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``color:red`` -> (("color", "red"),); raises ValueError naming the bad entry."""
    pairs = []
    for value in values:
        key, sep, wanted = value.partition(":")
        if not sep or not key.strip():
            raise ValueError(f"attribute filter {value!r} must look like key:value")
        pairs.append((key.strip(), wanted.strip()))
    return tuple(pairs)
