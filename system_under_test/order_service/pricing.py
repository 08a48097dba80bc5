"""Prices order items from the product service over HTTP (timeout + circuit breaker)."""

from __future__ import annotations

import uuid

import httpx

from system_under_test.common.http_client import CircuitOpenError, PeerClient
from system_under_test.common.problems import Problem

from .domain import PricedItem


class ProductCatalog:
    def __init__(self, client: PeerClient) -> None:
        self.client = client

    async def price(self, quantities: dict[uuid.UUID, int], caller: str) -> list[PricedItem]:
        """``caller`` (the customer) lets the breaker tell one client's failures apart."""
        ids = ",".join(str(i) for i in quantities)
        try:
            response = await self.client.request(
                "GET", "/products", params={"ids": ids, "limit": len(quantities)}, caller=caller
            )
        except CircuitOpenError as exc:
            raise Problem(
                503,
                "The product catalog is unavailable right now; try again shortly.",
                headers={"Retry-After": str(max(1, round(exc.retry_after)))},
            ) from exc
        except httpx.TimeoutException as exc:
            raise Problem(503, "The product catalog did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise Problem(503, "The product catalog is unreachable.") from exc
        if response.status_code != 200:
            raise Problem(503, f"The product catalog answered {response.status_code}.")
        found = {uuid.UUID(p["id"]): p for p in response.json()["items"]}
        missing = [str(i) for i in quantities if i not in found]
        if missing:
            raise Problem(
                422,
                f"Unknown product id(s): {', '.join(missing)}.",
                title="Unknown product",
                product_ids=missing,
            )
        return [
            PricedItem(
                product_id=pid,
                sku=found[pid]["sku"],
                name=found[pid]["name"],
                unit_price_cents=int(found[pid]["price_cents"]),
                currency=found[pid]["currency"],
                quantity=quantity,
            )
            for pid, quantity in quantities.items()
        ]
