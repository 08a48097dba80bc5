"""What the journeys need before they can run: a probe customer and a probe product.

The runner registers its own customer, and (as the admin) keeps one catalog item that
only probes order, with plenty of stock, so checkouts never drain the demo catalog.
Both are idempotent: running them again changes nothing.
"""

from __future__ import annotations

import httpx

from synthetic_probes.settings import ProbeSettings

PROBE_PRODUCT_SKU = "PROBE-CHECKOUT"
PROBE_ATTRIBUTE = "purpose:synthetic-probe"
PROBE_STOCK = 1_000_000
LOW_STOCK = 10_000  # top the probe product up below this


class FixtureError(Exception):
    """The platform refused to create the probe's data."""


def variables(settings: ProbeSettings) -> dict[str, str]:
    """Values every journey may use as ``${name}``."""
    return {
        "probe_email": settings.customer_email,
        "probe_password": settings.customer_password,
        "probe_product_filter": PROBE_ATTRIBUTE,
    }


async def prepare(client: httpx.AsyncClient, settings: ProbeSettings) -> None:
    await _register_customer(client, settings)
    await _ensure_product(client, await _admin_token(client, settings))


async def _register_customer(client: httpx.AsyncClient, settings: ProbeSettings) -> None:
    body = {"email": settings.customer_email, "password": settings.customer_password}
    response = await client.post("/users", json=body)
    if response.status_code not in (201, 409):  # 409: registered by an earlier start
        raise FixtureError(f"registering {settings.customer_email}: {_describe(response)}")


async def _admin_token(client: httpx.AsyncClient, settings: ProbeSettings) -> str:
    body = {"email": settings.admin_email, "password": settings.admin_password}
    response = await client.post("/auth/login", json=body)
    if response.status_code != 200:
        raise FixtureError(f"admin login as {settings.admin_email}: {_describe(response)}")
    token: str = response.json()["access_token"]
    return token


async def _ensure_product(client: httpx.AsyncClient, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    listing = await client.get("/products", params={"attr": PROBE_ATTRIBUTE, "limit": 1})
    if listing.status_code != 200:
        raise FixtureError(f"looking up the probe product: {_describe(listing)}")
    items = listing.json()["items"]
    if items:
        if items[0]["stock"] < LOW_STOCK:
            path = f"/products/{items[0]['id']}/stock"
            response = await client.put(path, json={"stock": PROBE_STOCK}, headers=headers)
            if response.status_code != 200:
                raise FixtureError(f"topping up the probe product: {_describe(response)}")
        return
    key, _, value = PROBE_ATTRIBUTE.partition(":")
    product = {
        "sku": PROBE_PRODUCT_SKU,
        "name": "Synthetic probe item",
        "description": "Ordered only by the synthetic checkout probe.",
        "price_cents": 100,
        "currency": "EUR",
        "attributes": {key: value},
        "stock": PROBE_STOCK,
    }
    response = await client.post("/products", json=product, headers=headers)
    if response.status_code not in (201, 409):  # 409: a concurrent start created it
        raise FixtureError(f"creating the probe product: {_describe(response)}")


def _describe(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.text[:160]}"
