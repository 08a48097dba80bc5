"""Domain rules of the services, without servers."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from system_under_test.common.messaging.events import PaymentFailed
from system_under_test.order_service.domain import (
    CurrencyMismatch,
    InvalidTransition,
    OrderStatus,
    PricedItem,
    check_transition,
    order_total,
    request_fingerprint,
)
from system_under_test.payment_provider.ledger import Behaviour, Ledger
from system_under_test.payment_service.handlers import failure_code
from system_under_test.payment_service.provider import ChargeResult
from system_under_test.product_service.domain import parse_attribute_filters
from system_under_test.user_service.domain import hash_password, normalise_email, verify_password


def item(price: int, quantity: int, currency: str = "EUR") -> PricedItem:
    return PricedItem(uuid.uuid4(), "SKU", "name", price, currency, quantity)


def test_order_state_machine_allows_only_pending_to_terminal() -> None:
    check_transition(OrderStatus.PENDING, OrderStatus.CONFIRMED)
    check_transition(OrderStatus.PENDING, OrderStatus.CANCELLED)
    for terminal in (OrderStatus.CONFIRMED, OrderStatus.CANCELLED):
        for target in OrderStatus:
            with pytest.raises(InvalidTransition):
                check_transition(terminal, target)


def test_order_total_in_minor_units_and_one_currency() -> None:
    assert order_total([item(199, 3), item(1, 1)]) == (598, "EUR")
    with pytest.raises(CurrencyMismatch):
        order_total([item(100, 1), item(100, 1, "USD")])


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    a = request_fingerprint(
        {"items": [{"product_id": "p", "quantity": 1}], "payment_method": "card"}
    )
    b = request_fingerprint(
        {"payment_method": "card", "items": [{"quantity": 1, "product_id": "p"}]}
    )
    c = request_fingerprint(
        {"payment_method": "card", "items": [{"quantity": 2, "product_id": "p"}]}
    )
    assert a == b != c


def test_attribute_filters_parse_and_reject_garbage() -> None:
    assert parse_attribute_filters(["colour:red", " size : M "]) == (
        ("colour", "red"),
        ("size", "M"),
    )
    with pytest.raises(ValueError, match="key:value"):
        parse_attribute_filters(["colour"])


def test_passwords_hash_and_verify() -> None:
    hashed = hash_password("s3cret-pass")
    assert hashed != "s3cret-pass" and verify_password(hashed, "s3cret-pass")
    assert not verify_password(hashed, "wrong") and not verify_password("not-a-hash", "x")
    assert normalise_email("  Ada@Example.COM ") == "ada@example.com"


def test_provider_ledger_is_idempotent_and_declines_by_rule() -> None:
    ledger = Ledger()
    charge, created = ledger.charge("order-1", 500, "EUR", "card", reference="order-1")
    again, created_again = ledger.charge("order-1", 500, "EUR", "card")
    assert created and not created_again and again.id == charge.id and charge.status == "captured"
    assert charge.decline_code is None and charge.reference == "order-1"
    declined, _ = ledger.charge("order-2", 500, "EUR", "card_declined")
    assert declined.status == "declined" and declined.decline_code == "card_declined"
    assert declined.decline_reason == "card declined by issuer"
    ledger.behaviour = Behaviour(max_amount_cents=1000)
    over, _ = ledger.charge("order-3", 1001, "EUR", "card")
    assert (over.status, over.decline_code) == ("declined", "over_limit")
    ledger.behaviour = Behaviour(decline_rate=1.0)
    injected, _ = ledger.charge("order-4", 500, "EUR", "card")
    assert (injected.status, injected.decline_code) == ("declined", "processor_declined")
    assert ledger.refund(charge.id).status == "refunded"  # type: ignore[union-attr]
    assert ledger.refund(declined.id).status == "declined"  # type: ignore[union-attr]
    assert ledger.refund(uuid.uuid4()) is None


def test_provider_ledger_in_a_file_outlives_the_process_that_wrote_it(tmp_path: Path) -> None:
    path = str(tmp_path / "data" / "ledger.sqlite3")  # the folder is made on demand
    first = Ledger(path)
    captured, _ = first.charge("order-1", 700, "EUR", "card")
    first.charge("order-2", 700, "EUR", "card_declined")
    first.refund(captured.id)
    first.close()

    reopened = Ledger(path)
    replayed, created = reopened.charge("order-1", 700, "EUR", "card")
    assert not created and replayed.id == captured.id and replayed.status == "refunded"
    assert [(c.idempotency_key, c.status) for c in reopened.page(after=0, limit=10)] == [
        ("order-1", "refunded"),
        ("order-2", "declined"),
    ]
    first_page = reopened.page(after=0, limit=1)
    assert [c.idempotency_key for c in reopened.page(first_page[-1].seq, 10)] == ["order-2"]


def test_a_failed_payment_names_its_cause_for_the_order_service() -> None:
    unreachable = ChargeResult(charge_id=None, captured=False, reason="provider unavailable")
    by_issuer = ChargeResult(uuid.uuid4(), captured=False, reason="x", decline_code="card_declined")
    unknown = ChargeResult(uuid.uuid4(), captured=False, reason="declined")
    assert failure_code(unreachable) == "provider_unavailable"
    assert failure_code(by_issuer) == "card_declined"
    assert failure_code(unknown) == "declined"
    # Events written before codes existed read as a plain decline.
    assert PaymentFailed.model_validate({"reason": "declined"}).code == "declined"
