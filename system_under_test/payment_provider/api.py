"""HTTP API of the payment provider stand-in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from system_under_test.common.bounds import JSON_INTEGER, NO_NUL, PG_INT_MAX
from system_under_test.common.faults import admin_guard
from system_under_test.common.problems import Problem

from .ledger import Behaviour, Charge, Ledger

router = APIRouter()

LEDGER_PAGE_MAX = 10_000


class ChargeIn(BaseModel):
    amount_cents: Annotated[int, Field(gt=0, le=PG_INT_MAX), JSON_INTEGER]
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: str = Field(min_length=1, max_length=32, pattern=NO_NUL)
    reference: str | None = Field(
        default=None,
        max_length=64,
        pattern=NO_NUL,
        description="The merchant's own reference (an order id)",
    )


class ChargeOut(BaseModel):
    id: uuid.UUID
    idempotency_key: str
    reference: str | None
    amount_cents: int
    currency: str
    status: str = Field(description="captured | declined | refunded")
    decline_code: str | None = Field(
        description="card_declined (the issuer declined the card), over_limit or "
        "processor_declined; null unless declined"
    )
    decline_reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, charge: Charge) -> ChargeOut:
        return cls(**{k: getattr(charge, k) for k in cls.model_fields})


class LedgerPage(BaseModel):
    charges: list[ChargeOut]
    next_after: int | None = Field(
        description="pass as `after` for the next page; null on the last page"
    )


class BehaviourIn(BaseModel):
    decline_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    max_amount_cents: int = Field(default=10_000_000, gt=0, le=PG_INT_MAX)


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


@router.post("/charges", status_code=201)
async def create_charge(
    body: ChargeIn,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> ChargeOut:
    if not idempotency_key:
        raise Problem(400, "An Idempotency-Key header is required for charges.")
    charge, created = _ledger(request).charge(
        idempotency_key, body.amount_cents, body.currency, body.payment_method, body.reference
    )
    if not created:
        if charge.amount_cents != body.amount_cents or charge.currency != body.currency:
            raise Problem(409, "Idempotency-Key reused with a different amount.")
        response.status_code = 200
    return ChargeOut.of(charge)


@router.get("/charges")
async def find_charges(
    request: Request,
    idempotency_key: Annotated[
        str, Query(min_length=1, max_length=200, description="the key the charge was made with")
    ],
) -> list[ChargeOut]:
    """The charge made with one idempotency key (a merchant looks up its own charge);
    the whole ledger is the admin's (`GET /admin/ledger`)."""
    charge = _ledger(request).by_key(idempotency_key)
    return [ChargeOut.of(charge)] if charge else []


@router.post("/charges/{charge_id}/refund")
async def refund(charge_id: uuid.UUID, request: Request) -> ChargeOut:
    charge = _ledger(request).refund(charge_id)
    if charge is None:
        raise Problem(404, f"Charge {charge_id} not found.")
    return ChargeOut.of(charge)


def admin_router(admin_token: str) -> APIRouter:
    admin = APIRouter(prefix="/admin", dependencies=[Depends(admin_guard(admin_token))])

    @admin.get("/behaviour")
    async def get_behaviour(request: Request) -> BehaviourIn:
        return BehaviourIn(**_ledger(request).behaviour.__dict__)

    @admin.put("/behaviour")
    async def set_behaviour(body: BehaviourIn, request: Request) -> BehaviourIn:
        _ledger(request).behaviour = Behaviour(**body.model_dump())
        return body

    @admin.get("/ledger")
    async def ledger_page(
        request: Request,
        after: Annotated[int, Query(ge=0, description="sequence number to continue after")] = 0,
        limit: Annotated[int, Query(ge=1, le=LEDGER_PAGE_MAX)] = 1000,
    ) -> LedgerPage:
        """Every charge in the order it was taken, a page at a time (for reconciliation)."""
        charges = _ledger(request).page(after, limit)
        return LedgerPage(
            charges=[ChargeOut.of(c) for c in charges],
            next_after=charges[-1].seq if len(charges) == limit else None,
        )

    return admin
