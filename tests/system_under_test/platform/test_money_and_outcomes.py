"""Money on the real platform: the provider's durable ledger, decline codes carried to the
order's outcome, and the audit's money invariants, each failing on an inconsistency
written straight into the databases and the ledger (and put back afterwards: the
platform is shared)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from shop import Shop, metric_value

from harness.audit import (
    SERVICES,
    AuditReport,
    database_urls_from_topology,
    format_report,
    provider_ledger_from_topology,
    run_audit,
)
from harness.cli import main
from harness.platform.control import ControlClient
from harness.platform.supervisor import Platform
from tests.waiting import wait_until

pytestmark = pytest.mark.slow  # starts servers


def topology(platform: Platform) -> dict:
    document: dict = json.loads((platform.run_dir / "topology.json").read_text())
    return document


def audit(platform: Platform, since: datetime | None) -> AuditReport:
    topology_file = platform.run_dir / "topology.json"
    return run_audit(
        database_urls_from_topology(topology_file),
        settle_timeout_s=60,
        ledger=provider_ledger_from_topology(topology_file),
        since=since,
    )


def by_name(report: AuditReport) -> dict[str, tuple[list[str], list[str]]]:
    """Invariant name -> (this game's offending ids, inherited ids)."""
    return {r.name: (r.offending, r.inherited) for r in report.results}


@contextmanager
def provider_ledger(platform: Platform) -> Iterator[sqlite3.Connection]:
    """The provider's SQLite ledger, opened beside the running provider."""
    (provider,) = [c for c in topology(platform)["components"] if c["name"] == "payment-provider"]
    path = provider["env"]["PROVIDER_LEDGER_PATH"]
    with closing(sqlite3.connect(path, timeout=10, isolation_level=None)) as conn:
        yield conn


def plant_capture(ledger: sqlite3.Connection, key: str, reference: str | None, at: datetime):
    ledger.execute(
        "INSERT INTO charges (id, idempotency_key, reference, amount_cents, currency, "
        "payment_method, status, created_at, updated_at) "
        "VALUES (?, ?, ?, 100, 'EUR', 'card', 'captured', ?, ?)",
        (str(uuid.uuid4()), key, reference, at.isoformat(), at.isoformat()),
    )


def set_charge_status(ledger: sqlite3.Connection, order_id: str, status: str) -> None:
    ledger.execute("UPDATE charges SET status = ? WHERE idempotency_key = ?", (status, order_id))


def paid_order(shop: Shop, token: str, product_id: str, method: str = "card") -> str:
    order_id: str = shop.place_order(token, [(product_id, 1)], payment_method=method).json()["id"]
    shop.wait_terminal(token, order_id)
    return order_id


def charge_of(platform: Platform, order_id: str) -> dict:
    response = httpx.get(
        platform.url("payment-provider") + "/charges",
        params={"idempotency_key": order_id},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    (charge,) = response.json()
    assert isinstance(charge, dict)
    return charge


def test_the_provider_ledger_survives_a_provider_crash(
    shop: Shop, local_platform: Platform, control: ControlClient
) -> None:
    since = datetime.now(UTC)
    product = shop.new_product(stock=5)
    _, token = shop.new_customer()
    order_id = paid_order(shop, token, product["id"])
    before = charge_of(local_platform, order_id)
    assert (before["status"], before["reference"]) == ("captured", order_id)

    restarts = control.component("payment-provider")["restarts"]
    control.kill("payment-provider")  # SIGKILL: no chance to flush anything on the way out
    wait_until(
        lambda: (
            (row := control.component("payment-provider"))["ready"]
            and row["restarts"] == restarts + 1
        ),
        within=30,
        what="payment-provider restarted and ready",
    )

    assert charge_of(local_platform, order_id) == before
    provider = local_platform.url("payment-provider")
    ledger = provider_ledger_from_topology(local_platform.run_dir / "topology.json")
    assert ledger is not None
    assert before["id"] in {c.id for c in ledger.charges()}
    assert httpx.get(provider + "/admin/ledger", timeout=5).status_code == 401
    assert httpx.get(provider + "/charges", timeout=5).status_code == 422  # key required
    report = audit(local_platform, since)
    assert report.passed, format_report(report)


def test_a_declined_card_is_the_customers_doing_other_declines_are_not(
    shop: Shop, local_platform: Platform
) -> None:
    cheap = shop.new_product(stock=10, price_cents=700)
    # 3 x 40 000.00 EUR is over the provider's card limit (100 000.00): declined, over_limit.
    dear = shop.new_product(stock=10, price_cents=4_000_000)
    _, token = shop.new_customer()
    order_service = local_platform.url("order-service") + "/metrics"
    before = httpx.get(order_service, timeout=5).text

    by_issuer = paid_order(shop, token, cheap["id"], method="card_declined")
    over_limit = shop.place_order(token, [(dear["id"], 3)]).json()["id"]
    cancelled = shop.wait_terminal(token, over_limit)

    assert shop.wait_terminal(token, by_issuer)["status"] == "CANCELLED"
    assert cancelled["status"] == "CANCELLED"
    assert "over the card limit" in cancelled["cancel_reason"]
    assert charge_of(local_platform, by_issuer)["decline_code"] == "card_declined"
    assert charge_of(local_platform, over_limit)["decline_code"] == "over_limit"
    urls = database_urls_from_topology(local_platform.run_dir / "topology.json")
    with psycopg.connect(urls["payment-service"]) as conn:
        codes: dict[str, str] = dict(
            conn.execute(
                "SELECT key, body->'payload'->>'code' FROM outbox "
                "WHERE type = 'payment.failed.v1' AND key IN (%s, %s)",
                (by_issuer, over_limit),
            ).fetchall()
        )
    assert codes == {by_issuer: "card_declined", over_limit: "over_limit"}

    after = httpx.get(order_service, timeout=5).text

    def grew(cause: str) -> float:
        labels = {"outcome": "cancelled", "cause": cause}
        return metric_value(after, "order_outcomes_total", **labels) - metric_value(
            before, "order_outcomes_total", **labels
        )

    # The checkout-success SLO leaves card_declined out and counts payment_failed as bad
    # (tests/slo/test_checkout_success.py checks the rules on these labels).
    assert (grew("card_declined"), grew("payment_failed")) == (1, 1)
    assert grew("stock_rejected") == grew("customer_cancelled") == 0


def test_each_money_invariant_fails_on_a_planted_inconsistency_and_names_the_order(
    shop: Shop, local_platform: Platform, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    since = datetime.now(UTC)
    product = shop.new_product(stock=10)
    _, token = shop.new_customer()
    charged_twice = paid_order(shop, token, product["id"])
    never_captured = paid_order(shop, token, product["id"])
    cancelled_but_captured = paid_order(shop, token, product["id"], method="card_declined")
    no_such_order = str(uuid.uuid4())
    now = datetime.now(UTC)
    with provider_ledger(local_platform) as ledger:
        try:
            plant_capture(ledger, f"retry-{uuid.uuid4()}", charged_twice, now)  # a 2nd key
            set_charge_status(ledger, never_captured, "declined")
            set_charge_status(ledger, cancelled_but_captured, "captured")
            plant_capture(ledger, no_such_order, None, now)

            found = by_name(audit(local_platform, since))
            assert found["captures_belong_to_confirmed_orders"][0] == sorted(
                [charged_twice, cancelled_but_captured, no_such_order]
            )
            assert found["cancelled_orders_keep_no_capture"][0] == [cancelled_but_captured]
            assert found["no_order_charged_twice"][0] == [charged_twice]
            assert found["confirmed_orders_captured"][0] == [never_captured]

            urls = database_urls_from_topology(local_platform.run_dir / "topology.json")
            argv = ["audit", "--state-dir", str(tmp_path), "--since", since.isoformat()]
            argv += ["--provider", local_platform.url("payment-provider")]
            argv += [f"--db={service}={urls[service]}" for service in SERVICES]
            assert main(argv) == 1
            printed = capsys.readouterr().out
            for order_id in (charged_twice, never_captured, cancelled_but_captured):
                assert order_id in printed
            assert "FAIL  no_order_charged_twice" in printed
        finally:
            ledger.execute(
                "DELETE FROM charges WHERE idempotency_key = ? "
                "OR (reference = ? AND idempotency_key != reference)",
                (no_such_order, charged_twice),
            )
            set_charge_status(ledger, never_captured, "captured")
            set_charge_status(ledger, cancelled_but_captured, "declined")
    report = audit(local_platform, since)
    assert report.passed, format_report(report)


def test_violations_from_before_the_game_are_inherited_and_do_not_fail_it(
    shop: Shop, local_platform: Platform
) -> None:
    product = shop.new_product(stock=10)
    _, token = shop.new_customer()
    old_order = paid_order(shop, token, product["id"], method="card_declined")
    urls = database_urls_from_topology(local_platform.run_dir / "topology.json")
    earlier = datetime.now(UTC) - timedelta(hours=2)
    since = datetime.now(UTC)
    old_orphan, new_orphan = str(uuid.uuid4()), str(uuid.uuid4())
    with psycopg.connect(urls["order-service"], autocommit=True) as orders:
        (placed_at,) = orders.execute(
            "SELECT created_at FROM orders WHERE id = %s", (old_order,)
        ).fetchone() or (None,)
        with provider_ledger(local_platform) as ledger:
            try:
                # An earlier run left a cancelled order with a capture and a stray capture.
                orders.execute(
                    "UPDATE orders SET created_at = %s WHERE id = %s", (earlier, old_order)
                )
                set_charge_status(ledger, old_order, "captured")
                plant_capture(ledger, old_orphan, None, earlier)
                # This game's: a capture for no order at all.
                plant_capture(ledger, new_orphan, None, datetime.now(UTC))

                report = audit(local_platform, since)
                found = by_name(report)
                assert not report.passed
                assert found["captures_belong_to_confirmed_orders"][0] == [new_orphan]
                assert {old_order, old_orphan} <= set(
                    found["captures_belong_to_confirmed_orders"][1]
                )
                assert found["cancelled_orders_keep_no_capture"] == ([], [old_order])

                ledger.execute("DELETE FROM charges WHERE idempotency_key = ?", (new_orphan,))
                only_inherited = audit(local_platform, since)
                assert only_inherited.passed, format_report(only_inherited)
                assert only_inherited.to_dict()["since"] == since.isoformat()
                assert "inherited (" in format_report(only_inherited)

                everything = audit(local_platform, since=None)  # `harness audit` alone
                assert not everything.passed
                assert by_name(everything)["cancelled_orders_keep_no_capture"] == (
                    [old_order],
                    [],
                )
            finally:
                ledger.execute(
                    "DELETE FROM charges WHERE idempotency_key IN (?, ?)", (old_orphan, new_orphan)
                )
                set_charge_status(ledger, old_order, "declined")
                orders.execute(
                    "UPDATE orders SET created_at = %s WHERE id = %s", (placed_at, old_order)
                )
    report = audit(local_platform, since=None)
    assert report.passed, format_report(report)
