"""The processor's charge ledger: idempotent by key, with decline rules, kept in SQLite.

A file path makes it durable (a restarted processor still knows every charge it took,
as a real one would); ``:memory:`` keeps it for the life of the process only.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DECLINED_METHOD = "card_declined"

# Machine-readable decline codes, with the text shown to people.
DECLINE_REASONS = {
    "card_declined": "card declined by issuer",
    "over_limit": "amount over the card limit",
    "processor_declined": "declined (injected decline rate)",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    reference TEXT,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('captured', 'declined', 'refunded')),
    decline_code TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""
_BY_ID = "SELECT * FROM charges WHERE id = ?"
_BY_KEY = "SELECT * FROM charges WHERE idempotency_key = ?"
_PAGE = "SELECT * FROM charges WHERE seq > ? ORDER BY seq LIMIT ?"


@dataclass(frozen=True)
class Charge:
    seq: int
    id: uuid.UUID
    idempotency_key: str
    reference: str | None  # the merchant's own reference (the order id)
    amount_cents: int
    currency: str
    payment_method: str
    status: str  # captured | declined | refunded
    decline_code: str | None
    created_at: datetime

    @property
    def decline_reason(self) -> str | None:
        return DECLINE_REASONS.get(self.decline_code or "")

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Charge:
        return cls(
            seq=row["seq"],
            id=uuid.UUID(row["id"]),
            idempotency_key=row["idempotency_key"],
            reference=row["reference"],
            amount_cents=row["amount_cents"],
            currency=row["currency"],
            payment_method=row["payment_method"],
            status=row["status"],
            decline_code=row["decline_code"],
            created_at=datetime.fromisoformat(row["created_at"]),
        )


@dataclass
class Behaviour:
    """Knobs beyond the common latency/error faults: a share of cards declined."""

    decline_rate: float = 0.0
    max_amount_cents: int = 10_000_000


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Ledger:
    def __init__(self, path: str = ":memory:") -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection, used from the event loop; the lock covers any other thread.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 5000")
        if path != ":memory:":
            # Survives the process being killed; other readers (an operator) never block it.
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self.behaviour = Behaviour()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _decline_code(self, amount_cents: int, payment_method: str) -> str | None:
        if payment_method == DECLINED_METHOD:
            return "card_declined"
        if amount_cents > self.behaviour.max_amount_cents:
            return "over_limit"
        if random.random() < self.behaviour.decline_rate:
            return "processor_declined"
        return None

    def _one(self, query: str, value: str) -> Charge | None:
        found = self._db.execute(query, (value,)).fetchone()
        return Charge.from_row(found) if found else None

    def charge(
        self,
        key: str,
        amount_cents: int,
        currency: str,
        payment_method: str,
        reference: str | None = None,
    ) -> tuple[Charge, bool]:
        """Returns the charge and whether it is new; a replayed key returns the original."""
        with self._lock:
            existing = self._one(_BY_KEY, key)
            if existing is not None:
                return existing, False
            code = self._decline_code(amount_cents, payment_method)
            now = _now()
            self._db.execute(
                "INSERT INTO charges (id, idempotency_key, reference, amount_cents, currency, "
                "payment_method, status, decline_code, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()), key, reference, amount_cents, currency, payment_method,
                    "declined" if code else "captured", code, now, now,
                ),
            )  # fmt: skip
            created = self._one(_BY_KEY, key)
        assert created is not None
        return created, True

    def get(self, charge_id: uuid.UUID) -> Charge | None:
        with self._lock:
            return self._one(_BY_ID, str(charge_id))

    def by_key(self, key: str) -> Charge | None:
        with self._lock:
            return self._one(_BY_KEY, key)

    def refund(self, charge_id: uuid.UUID) -> Charge | None:
        """Refunds a captured charge; any other charge is returned as it is."""
        with self._lock:
            self._db.execute(
                "UPDATE charges SET status = 'refunded', updated_at = ? "
                "WHERE id = ? AND status = 'captured'",
                (_now(), str(charge_id)),
            )
            return self._one(_BY_ID, str(charge_id))

    def page(self, after: int, limit: int) -> list[Charge]:
        """Charges in the order they were taken, ``limit`` of them after sequence ``after``."""
        with self._lock:
            rows = self._db.execute(_PAGE, (after, limit)).fetchall()
        return [Charge.from_row(r) for r in rows]
