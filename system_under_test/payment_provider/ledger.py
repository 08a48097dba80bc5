"""The processor's in-memory charge ledger: idempotent by key, with a decline rule."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

DECLINED_METHOD = "card_declined"


@dataclass
class Charge:
    id: uuid.UUID
    idempotency_key: str
    amount_cents: int
    currency: str
    payment_method: str
    status: str  # captured | declined | refunded
    decline_reason: str | None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Behaviour:
    """Knobs beyond the common latency/error faults: a share of cards declined."""

    decline_rate: float = 0.0
    max_amount_cents: int = 10_000_000


class Ledger:
    def __init__(self) -> None:
        self.by_key: dict[str, Charge] = {}
        self.by_id: dict[uuid.UUID, Charge] = {}
        self.behaviour = Behaviour()

    def charge(
        self, key: str, amount_cents: int, currency: str, payment_method: str
    ) -> tuple[Charge, bool]:
        """Returns the charge and whether it is new; a replayed key returns the original."""
        if key in self.by_key:
            return self.by_key[key], False
        reason = None
        if payment_method == DECLINED_METHOD:
            reason = "card declined by issuer"
        elif amount_cents > self.behaviour.max_amount_cents:
            reason = "amount over the card limit"
        elif random.random() < self.behaviour.decline_rate:
            reason = "declined (injected decline rate)"
        charge = Charge(
            id=uuid.uuid4(),
            idempotency_key=key,
            amount_cents=amount_cents,
            currency=currency,
            payment_method=payment_method,
            status="declined" if reason else "captured",
            decline_reason=reason,
        )
        self.by_key[key] = charge
        self.by_id[charge.id] = charge
        return charge, True

    def refund(self, charge_id: uuid.UUID) -> Charge | None:
        charge = self.by_id.get(charge_id)
        if charge is not None and charge.status == "captured":
            charge.status = "refunded"
        return charge
