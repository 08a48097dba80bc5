"""A small client of the platform's public API for the end-to-end tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.waiting import wait_until

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password"


class Shop:
    def __init__(self, gateway_url: str) -> None:
        self.http = httpx.Client(base_url=gateway_url, timeout=15)

    def login(self, email: str, password: str) -> str:
        response = self.http.post("/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def new_customer(self) -> tuple[str, str]:
        """Register a fresh customer; returns (customer id, token)."""
        email = f"shopper-{uuid.uuid4().hex[:10]}@example.com"
        response = self.http.post("/users", json={"email": email, "password": "correct-horse"})
        assert response.status_code == 201, response.text
        return response.json()["id"], self.login(email, "correct-horse")

    def admin_token(self) -> str:
        return self.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    def new_product(self, stock: int, price_cents: int = 1500) -> dict[str, Any]:
        response = self.http.post(
            "/products",
            headers=auth(self.admin_token()),
            json={
                "sku": f"TEST-{uuid.uuid4().hex[:10]}",
                "name": "Test kettle",
                "price_cents": price_cents,
                "attributes": {"colour": "green", "tags": ["test"]},
                "stock": stock,
            },
        )
        assert response.status_code == 201, response.text
        product: dict[str, Any] = response.json()
        return product

    def place_order(
        self,
        token: str,
        items: list[tuple[str, int]],
        payment_method: str = "card",
        key: str | None = None,
    ) -> httpx.Response:
        return self.http.post(
            "/orders",
            headers={**auth(token), "Idempotency-Key": key or uuid.uuid4().hex},
            json={
                "items": [{"product_id": pid, "quantity": q} for pid, q in items],
                "payment_method": payment_method,
            },
        )

    def wait_terminal(self, token: str, order_id: str, timeout: float = 60) -> dict[str, Any]:
        """The order once CONFIRMED or CANCELLED; fails the test if still PENDING."""

        def terminal() -> dict[str, Any] | None:
            order: dict[str, Any] = self.http.get(f"/orders/{order_id}", headers=auth(token)).json()
            return order if order["status"] != "PENDING" else None

        found: dict[str, Any] = wait_until(
            terminal, within=timeout, what=f"order {order_id} reaching a terminal state"
        )
        return found

    def stock(self, product_id: str) -> int:
        level: int = self.http.get(f"/products/{product_id}/stock").json()["stock"]
        return level


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def metric_value(metrics_text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in metrics_text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total
