"""The data a load run needs, created through the gateway so it works on an empty
platform: a catalog of load-test products with deep stock (customers are registered by
each simulated user itself)."""

from __future__ import annotations

from typing import Any

import httpx

DATASET_ATTRIBUTE = "dataset:load-test"
SKU_PREFIX = "LOAD"
STOCK = 100_000


class TestDataError(Exception):
    """The platform refused to create load-test data."""


def load_products(count: int) -> list[dict[str, Any]]:
    key, _, value = DATASET_ATTRIBUTE.partition(":")
    colours = ("red", "green", "blue", "black")
    return [
        {
            "sku": f"{SKU_PREFIX}-{number:03d}",
            "name": f"Load test item {number}",
            "description": "Created by the load scenarios.",
            "price_cents": 500 + 25 * number,
            "currency": "EUR",
            "attributes": {key: value, "colour": colours[number % len(colours)]},
            "stock": STOCK,
        }
        for number in range(1, count + 1)
    ]


def ensure_catalog(gateway_url: str, admin_email: str, admin_password: str, count: int) -> int:
    """Create whichever of the ``count`` load-test products are missing; returns how many
    were created. Safe to run again, and by several processes at once."""
    with httpx.Client(base_url=gateway_url, timeout=15.0) as client:
        login = client.post("/auth/login", json={"email": admin_email, "password": admin_password})
        if login.status_code != 200:
            raise TestDataError(f"admin login as {admin_email}: HTTP {login.status_code}")
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        listing = client.get("/products", params={"attr": DATASET_ATTRIBUTE, "limit": 100})
        if listing.status_code != 200:
            raise TestDataError(f"listing load-test products: HTTP {listing.status_code}")
        existing = {item["sku"] for item in listing.json()["items"]}
        created = 0
        for product in load_products(count):
            if product["sku"] in existing:
                continue
            response = client.post("/products", json=product, headers=headers)
            if response.status_code not in (201, 409):
                raise TestDataError(
                    f"creating {product['sku']}: HTTP {response.status_code} {response.text[:160]}"
                )
            created += response.status_code == 201
        return created
