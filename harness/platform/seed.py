"""Demo data for a fresh platform: a catalog to browse and order from at once.

The admin account itself is created by the user-service from ``USER_ADMIN_EMAIL`` /
``USER_ADMIN_PASSWORD``; here we log in as that admin through the gateway and add the
demo catalog; products whose SKU exists already are left alone, so seeding again
changes nothing.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import httpx

# (category, [(name, base price in cents, attributes)]): free-form attributes on purpose.
CATALOG: list[tuple[str, list[tuple[str, int, dict[str, Any]]]]] = [
    (
        "coffee",
        [
            ("Espresso beans", 1290, {"roast": "dark", "origin": "Brazil", "weight_g": 500}),
            ("Filter beans", 1150, {"roast": "light", "origin": "Ethiopia", "weight_g": 250}),
            ("Decaf beans", 1090, {"roast": "medium", "decaf": True, "weight_g": 250}),
            ("Moka pot", 3490, {"cups": 6, "material": "aluminium"}),
            ("Pour-over dripper", 2190, {"material": "ceramic", "size": "02"}),
            ("Milk frother", 4990, {"power_w": 500, "capacity_ml": 240}),
        ],
    ),
    (
        "books",
        [
            ("Site Reliability Engineering", 3999, {"author": "Beyer et al.", "pages": 552}),
            ("The Site Reliability Workbook", 3999, {"author": "Beyer et al.", "pages": 508}),
            ("Release It!", 3495, {"author": "Nygard", "edition": 2}),
            ("Designing Data-Intensive Applications", 4299, {"author": "Kleppmann"}),
            ("Chaos Engineering", 3599, {"author": "Rosenthal, Jones", "pages": 305}),
            ("Observability Engineering", 4199, {"author": "Majors et al."}),
        ],
    ),
    (
        "outdoor",
        [
            ("Trail backpack 30 l", 8990, {"volume_l": 30, "colors": ["green", "black"]}),
            ("Headlamp", 2990, {"lumens": 400, "battery": "AAA"}),
            ("Water bottle", 1990, {"capacity_ml": 750, "insulated": True}),
            ("Rain jacket", 11900, {"sizes": ["S", "M", "L", "XL"], "waterproof_mm": 20000}),
            ("Camping stove", 5490, {"fuel": "gas", "weight_g": 320}),
            ("Sleeping pad", 7490, {"r_value": 4.2, "length_cm": 183}),
        ],
    ),
    (
        "electronics",
        [
            ("USB-C cable", 990, {"length_m": 1, "watts": 60}),
            ("Wireless mouse", 2490, {"dpi": 1600, "bluetooth": True}),
            ("Mechanical keyboard", 8990, {"switches": "brown", "layout": "ISO"}),
            ("Noise-cancelling headphones", 19900, {"battery_h": 30, "anc": True}),
            ("Portable charger", 3490, {"capacity_mah": 10000}),
            ("Webcam", 5990, {"resolution": "1080p", "fps": 30}),
        ],
    ),
    (
        "kitchen",
        [
            ("Chef's knife", 6990, {"blade_cm": 20, "steel": "VG-10"}),
            ("Cast-iron pan", 4490, {"diameter_cm": 26}),
            ("Cutting board", 2490, {"material": "oak", "size_cm": [40, 25]}),
            ("Spice set", 1890, {"jars": 12}),
            ("Kitchen scale", 1990, {"max_g": 5000, "precision_g": 1}),
            ("Tea kettle", 3990, {"capacity_l": 1.7, "temperature_control": True}),
        ],
    ),
]
SKU_PREFIX = "DEMO"
PAGE_SIZE = 100  # the product listing's largest page


@dataclass(frozen=True)
class SeedResult:
    created: int
    existing: int


class SeedError(Exception):
    """The gateway refused the admin login or a product."""


def demo_products() -> list[dict[str, Any]]:
    """About thirty products: some sold out, some scarce, most plentiful."""
    products = []
    counter = itertools.count(1)
    for category, items in CATALOG:
        for name, price, attributes in items:
            number = next(counter)
            products.append(
                {
                    "sku": f"{SKU_PREFIX}-{category.upper()[:4]}-{number:03d}",
                    "name": name,
                    "description": f"{name} from the demo {category} catalog.",
                    "price_cents": price,
                    "currency": "EUR",
                    "attributes": {"category": category, **attributes},
                    "stock": 0 if number % 13 == 0 else (3 if number % 7 == 0 else 100),
                }
            )
    return products


def login(client: httpx.Client, email: str, password: str, within: float = 15.0) -> str:
    """The admin's access token; retried briefly while the user-service creates the admin."""
    deadline = time.monotonic() + within
    while True:
        response = client.post("/auth/login", json={"email": email, "password": password})
        if response.status_code == 200:
            token: str = response.json()["access_token"]
            return token
        if time.monotonic() > deadline:
            raise SeedError(
                f"admin login as {email} failed: HTTP {response.status_code} {response.text[:200]}"
            )
        time.sleep(0.3)


def _create(client: httpx.Client, headers: dict[str, str], product: dict[str, Any]) -> bool:
    """True when created, False when its SKU exists already."""
    response = client.post("/products", json=product, headers=headers)
    if response.status_code == 409:
        return False
    if response.status_code not in (200, 201):
        raise SeedError(
            f"POST /products {product['sku']}: HTTP {response.status_code} {response.text[:200]}"
        )
    return True


def seed(gateway_url: str, email: str, password: str) -> SeedResult:
    """Create the demo catalog through the gateway; products whose SKU exists are kept
    as they are, so seeding is idempotent and never undoes a game's stock changes."""
    products = demo_products()
    with httpx.Client(base_url=gateway_url, timeout=10.0) as client:
        headers = {"Authorization": f"Bearer {login(client, email, password)}"}
        created = sum(_create(client, headers, product) for product in products)
        return SeedResult(created=created, existing=len(products) - created)


@dataclass(frozen=True)
class RestockResult:
    restocked: dict[str, tuple[int, int]]  # SKU -> (stock found, seeded stock put back)
    unchanged: int
    created: int

    def describe(self) -> str:
        changes = ", ".join(f"{sku} {old} -> {new}" for sku, (old, new) in self.restocked.items())
        return (
            f"demo catalog at its seeded stock: {len(self.restocked)} restocked"
            + (f" ({changes})" if changes else "")
            + f", {self.unchanged} already at it, {self.created} created"
        )


def _listed_demo_products(client: httpx.Client, skus: set[str]) -> dict[str, dict[str, Any]]:
    """The listed products among ``skus``, by SKU (the listing is sorted by SKU)."""
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while len(found) < len(skus):
        response = client.get("/products", params={"limit": PAGE_SIZE, "offset": offset})
        if response.status_code != 200:
            raise SeedError(f"GET /products: HTTP {response.status_code} {response.text[:200]}")
        items = response.json()["items"]
        found |= {item["sku"]: item for item in items if item["sku"] in skus}
        if len(items) < PAGE_SIZE:
            break
        offset += PAGE_SIZE
    return found


def restock(gateway_url: str, email: str, password: str) -> RestockResult:
    """Put every demo product back to its seeded stock (creating any that is missing), so
    each game starts from the same test data whatever earlier games sold."""
    wanted = {product["sku"]: product for product in demo_products()}
    with httpx.Client(base_url=gateway_url, timeout=10.0) as client:
        headers = {"Authorization": f"Bearer {login(client, email, password)}"}
        listed = _listed_demo_products(client, set(wanted))
        restocked: dict[str, tuple[int, int]] = {}
        created = 0
        for sku, product in wanted.items():
            current = listed.get(sku)
            if current is None:
                created += _create(client, headers, product)
                continue
            if current["stock"] == product["stock"]:
                continue
            response = client.put(
                f"/products/{current['id']}/stock",
                json={"stock": product["stock"]},
                headers=headers,
            )
            if response.status_code != 200:
                raise SeedError(
                    f"PUT /products/{current['id']}/stock ({sku}): HTTP {response.status_code} "
                    f"{response.text[:200]}"
                )
            restocked[sku] = (int(current["stock"]), int(product["stock"]))
        unchanged = len(wanted) - len(restocked) - created
        return RestockResult(restocked=restocked, unchanged=unchanged, created=created)
