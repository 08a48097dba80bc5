"""HTTP routes of the payment service."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from system_under_test.common.auth import CurrentPrincipal
from system_under_test.common.openapi import problems

from . import repository

router = APIRouter()


class PaymentOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    amount_cents: int
    currency: str
    status: str
    reason: str | None
    created_at: datetime
    updated_at: datetime


@router.get("/payments", responses=problems(401))
async def list_payments(
    order_id: uuid.UUID, request: Request, principal: CurrentPrincipal
) -> list[PaymentOut]:
    async with request.app.state.db.session() as session:
        rows = await repository.payments_for(session, order_id)
    # Others' payments are simply not listed, like orders that are not theirs.
    visible = [r for r in rows if principal.is_admin or r.customer_id == principal.subject]
    return [PaymentOut(**{k: getattr(r, k) for k in PaymentOut.model_fields}) for r in visible]
