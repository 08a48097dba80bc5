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
# Attributes: few, small, flat (a scalar or a list of scalars each), numbers that
# every JSON reader holds exactly enough; text without NUL, which PostgreSQL refuses.
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_TEXT = 500
MAX_ATTRIBUTE_LIST = 50
MAX_ATTRIBUTE_NUMBER = 10**15


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


def _storable(text: str, max_length: int) -> bool:
    """Text PostgreSQL can hold: no NUL, valid Unicode (no lone surrogates)."""
    if len(text) > max_length or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_scalar(key: str, value: Any) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int | float):
        if not -MAX_ATTRIBUTE_NUMBER <= value <= MAX_ATTRIBUTE_NUMBER:  # NaN fails too
            raise ValueError(f"attribute {key!r}: numbers must lie within ±{MAX_ATTRIBUTE_NUMBER}")
        return
    if isinstance(value, str):
        if not _storable(value, MAX_ATTRIBUTE_TEXT):
            limit = f"at most {MAX_ATTRIBUTE_TEXT} Unicode characters, no NUL"
            raise ValueError(f"attribute {key!r}: text is {limit}")
        return
    raise ValueError(
        f"attribute {key!r}: a value is text, a number, true/false, null or a list of those"
    )


def check_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Raises ValueError naming the first attribute outside the rules."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
    for key, value in attributes.items():
        if not key or not _storable(key, MAX_ATTRIBUTE_KEY):
            raise ValueError(f"attribute names are 1-{MAX_ATTRIBUTE_KEY} characters, no NUL")
        if isinstance(value, list):
            if len(value) > MAX_ATTRIBUTE_LIST:
                raise ValueError(f"attribute {key!r}: at most {MAX_ATTRIBUTE_LIST} items")
            for item in value:
                _check_scalar(key, item)
        else:
            _check_scalar(key, value)
    return attributes


def parse_attribute_filters(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``color:red`` -> (("color", "red"),); raises ValueError naming the bad entry."""
    pairs = []
    for value in values:
        key, sep, wanted = value.partition(":")
        if not sep or not key.strip():
            raise ValueError(f"attribute filter {value!r} must look like key:value")
        pairs.append((key.strip(), wanted.strip()))
    return tuple(pairs)
