"""Client of the external payment provider: idempotent charges and refunds."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from system_under_test.common.http_client import CircuitOpenError, PeerClient


class ProviderUnavailable(Exception):
    pass


@dataclass(frozen=True)
class ChargeResult:
    charge_id: uuid.UUID | None  # None: the provider never answered
    captured: bool
    reason: str | None
    decline_code: str | None = None  # the provider's machine-readable code of a decline


class PaymentProvider:
    def __init__(self, client: PeerClient, attempts: int) -> None:
        self.client = client
        self.attempts = attempts

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Retries are safe: the order id is the provider's idempotency key."""
        last: Exception | None = None
        for attempt in range(self.attempts):
            try:
                response = await self.client.request(method, url, **kwargs)
                if response.status_code < 500:
                    return response
                last = ProviderUnavailable(f"provider answered {response.status_code}")
            except CircuitOpenError as exc:
                raise ProviderUnavailable(str(exc)) from exc
            except httpx.HTTPError as exc:
                last = exc
            await asyncio.sleep(0.2 * (attempt + 1))
        raise ProviderUnavailable(f"provider unavailable: {last}")

    async def charge(
        self, order_id: uuid.UUID, amount_cents: int, currency: str, payment_method: str
    ) -> ChargeResult:
        response = await self._call(
            "POST",
            "/charges",
            json={
                "amount_cents": amount_cents,
                "currency": currency,
                "payment_method": payment_method,
                "reference": str(order_id),
            },
            headers={"Idempotency-Key": str(order_id)},
        )
        if response.status_code not in (200, 201):
            raise ProviderUnavailable(f"provider refused the charge: {response.status_code}")
        body = response.json()
        return ChargeResult(
            charge_id=uuid.UUID(body["id"]),
            captured=body["status"] == "captured",
            reason=body.get("decline_reason"),
            decline_code=body.get("decline_code"),
        )

    async def refund(self, charge_id: uuid.UUID) -> None:
        response = await self._call("POST", f"/charges/{charge_id}/refund")
        if response.status_code != 200:
            raise ProviderUnavailable(f"provider refused the refund: {response.status_code}")
