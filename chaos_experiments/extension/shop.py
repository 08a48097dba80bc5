"""The few public API calls the extension makes through the gateway, as a shopper would."""

import time
import uuid
from typing import Any

import httpx
from chaoslib.exceptions import ActivityFailed

TERMINAL = ("CONFIRMED", "CANCELLED")
CUSTOMER_PASSWORD = "chaos-shopper-password"  # noqa: S105 - throwaway test customer


class Shopper:
    def __init__(self, gateway_url: str, timeout: float = 5.0) -> None:
        self.http = httpx.Client(base_url=gateway_url, timeout=timeout)
        self.token = ""

    def close(self) -> None:
        self.http.close()

    def register_and_login(self) -> None:
        email = f"chaos-{uuid.uuid4().hex[:12]}@example.com"
        registered = self.http.post("/users", json={"email": email, "password": CUSTOMER_PASSWORD})
        _expect(registered, 201)
        login = self.http.post("/auth/login", json={"email": email, "password": CUSTOMER_PASSWORD})
        _expect(login, 200)
        self.token = login.json()["access_token"]

    def product_in_stock(self) -> str:
        """The id of the listed product with the most stock."""
        response = self.http.get("/products", params={"in_stock": "true", "limit": 50})
        _expect(response, 200)
        items: list[dict[str, Any]] = response.json()["items"]
        if not items:
            raise ActivityFailed("no product in stock: seed the catalog (`harness up` does)")
        return str(max(items, key=lambda item: item["stock"])["id"])

    def place_order(self, product_id: str) -> str:
        response = self.http.post(
            "/orders",
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": uuid.uuid4().hex},
            json={"items": [{"product_id": product_id, "quantity": 1}], "payment_method": "card"},
        )
        _expect(response, 202)
        return str(response.json()["id"])

    def wait_terminal(self, order_id: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        status = "PENDING"
        while time.monotonic() < deadline:
            response = self.http.get(
                f"/orders/{order_id}", headers={"Authorization": f"Bearer {self.token}"}
            )
            if response.status_code == 200:
                status = response.json()["status"]
                if status in TERMINAL:
                    return str(status)
            time.sleep(0.2)
        return str(status)


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise ActivityFailed(
            f"{response.request.method} {response.request.url.path}: HTTP "
            f"{response.status_code} (expected {status}): {response.text[:200]}"
        )
