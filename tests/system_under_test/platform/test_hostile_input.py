"""Hostile input through the real gateway and services: bounds, the breaker, abuse.

The expected answers are the ones documented in docs/security.md.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from shop import Shop, auth, metric_value

from harness.platform.supervisor import Platform
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

PROBLEM = "application/problem+json"
ADMIN_TOKEN_HEADER = {"X-Admin-Token": "dev-admin-token"}


def assert_invalid_field(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert field in [e["field"] for e in body["errors"]], body
    assert field in body["detail"]
    return body


def client_from(shop: Shop, address: str) -> httpx.Client:
    """A client with its own loopback source address: another anonymous client."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=str(shop.http.base_url), transport=transport, timeout=15)


def gateway_breaker_state(shop: Shop, peer: str) -> float:
    metrics = shop.http.get("/metrics").text
    return metric_value(metrics, "circuit_breaker_state", service="gateway", peer=peer)


@contextlib.contextmanager
def planted_fault(platform: Platform, service: str, **rule: Any) -> Iterator[None]:
    url = f"{platform.url(service)}/admin/faults"
    response = httpx.put(url, json={"rules": [rule]}, headers=ADMIN_TOKEN_HEADER, timeout=10)
    assert response.status_code == 200, response.text
    try:
        yield
    finally:
        httpx.delete(url, headers=ADMIN_TOKEN_HEADER, timeout=10)


def wait_until_browsing_works(shop: Shop, within: float = 20.0) -> None:
    wait_until(
        lambda: shop.http.get("/products", params={"limit": 1}).status_code == 200,
        within=within,
        interval=0.5,
        what="browsing answering 200 again after the fault",
    )


# --- No 500 from bad input ---------------------------------------------------------


@pytest.mark.parametrize("field", ["min_price_cents", "max_price_cents"])
def test_a_price_filter_beyond_what_the_database_holds_is_a_422(shop: Shop, field: str) -> None:
    """The issue's attack: a value outside PostgreSQL's integer range was a 500."""
    for _ in range(10):
        response = shop.http.get(f"/products?{field}=47146900263693")
        assert_invalid_field(response, f"query.{field}")
    assert shop.http.get("/products", params={"limit": 5}).status_code == 200
    assert gateway_breaker_state(shop, "product") == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=99999999999999999999", "query.offset"),
        ("limit=0", "query.limit"),
        ("q=%00", "query.q"),
        ("q=" + "x" * 101, "query.q"),
        ("ids=not-a-uuid", "query.ids"),
        ("ids=" + ",".join(str(uuid.UUID(int=n)) for n in range(101)), "query.ids"),
        ("attr=colour", "query.attr.0"),
        ("attr=%00:red", "query.attr.0"),
        ("&".join(["attr=a:b"] * 11), "query.attr"),
    ],
)
def test_out_of_bounds_listing_parameters_are_422_naming_the_field(
    shop: Shop, query: str, field: str
) -> None:
    assert_invalid_field(shop.http.get(f"/products?{query}"), field)


def test_out_of_bounds_bodies_are_422_naming_the_field(shop: Shop) -> None:
    admin = auth(shop.admin_token())
    product = {"sku": f"BOUND-{uuid.uuid4().hex[:8]}", "name": "Bounded", "price_cents": 100}
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/products", {**product, "name": "nul\u0000byte"}, "body.name"),
        ("POST", "/products", {**product, "price_cents": 10**12}, "body.price_cents"),
        ("POST", "/products", {**product, "stock": True}, "body.stock"),
        (
            "POST",
            "/products",
            {**product, "attributes": {"deep": {"er": 1}}},
            "body.attributes",
        ),
        ("POST", "/products", {**product, "attributes": {"k": "\u0000"}}, "body.attributes"),
        (
            "POST",
            "/products",
            {**product, "attributes": {str(n): n for n in range(51)}},
            "body.attributes",
        ),
    ]
    for method, path, body, field in cases:
        assert_invalid_field(shop.http.request(method, path, json=body, headers=admin), field)
    _, token = shop.new_customer()
    too_many = {"items": [{"product_id": str(uuid.uuid4()), "quantity": 1}] * 51}
    response = shop.http.post(
        "/orders", json=too_many, headers={**auth(token), "Idempotency-Key": uuid.uuid4().hex}
    )
    assert_invalid_field(response, "body.items")
    login = shop.http.post("/auth/login", json={"email": "a\u0000@example.com", "password": "x"})
    assert_invalid_field(login, "body.email")
    offset = shop.http.get("/orders", params={"offset": 10**19}, headers=auth(token))
    assert_invalid_field(offset, "query.offset")


def test_an_order_total_beyond_what_the_ledger_holds_is_a_422(shop: Shop) -> None:
    expensive = shop.new_product(stock=1000, price_cents=100_000_000)
    _, token = shop.new_customer()
    response = shop.place_order(token, [(expensive["id"], 100)])
    assert response.status_code == 422, response.text
    assert "exceeds the limit" in response.json()["detail"]


# --- The breaker cannot be turned against the users --------------------------------


def test_one_client_replaying_a_500_cannot_open_the_breaker_for_everyone(
    shop: Shop, local_platform: Platform
) -> None:
    """A planted bug makes one product's page a 500. An anonymous attacker replays it
    again and again; other customers keep browsing the same service meanwhile."""
    victim = shop.new_product(stock=1)
    bugged = f"/products/{victim['id']}"
    with (
        planted_fault(
            local_platform, "product-service", route=bugged, error_rate=1.0, error_status=500
        ),
        client_from(shop, "127.0.0.66") as attacker,
        client_from(shop, "127.0.0.67") as customer,
    ):
        crashes = 0
        for round_ in range(6):
            # The bug answers 500 until the attacker's own rate limit answers 429.
            attack = [attacker.get(bugged).status_code for _ in range(10)]
            assert set(attack) <= {500, 429}, f"round {round_}: {attack}"
            crashes += attack.count(500)
            browsing = customer.get("/products", params={"limit": 5})
            assert browsing.status_code == 200, f"round {round_}: {browsing.text}"
            assert customer.get("/products/" + str(uuid.uuid4())).status_code == 404
        assert crashes >= 20  # four times the breaker's threshold, all from one client
        assert gateway_breaker_state(shop, "product") == 0


def test_failures_seen_by_several_clients_still_open_the_breaker(
    shop: Shop, local_platform: Platform
) -> None:
    """A real outage (every client fails) is still what the breaker is for."""
    try:
        with planted_fault(
            local_platform, "product-service", route="/products*", error_rate=1.0, error_status=503
        ):
            clients = [client_from(shop, f"127.0.0.{n}") for n in range(70, 76)]
            answers = [c.get("/products", params={"limit": 1}) for c in clients]
            assert gateway_breaker_state(shop, "product") == 2
            assert answers[-1].status_code == 503
            assert "circuit open" in answers[-1].json()["detail"]
            for c in clients:
                c.close()
    finally:
        wait_until_browsing_works(shop)


# --- Abuse ------------------------------------------------------------------------


def test_another_customers_order_is_a_404_indistinguishable_from_no_order(shop: Shop) -> None:
    product = shop.new_product(stock=10)
    _, owner = shop.new_customer()
    order = shop.place_order(owner, [(product["id"], 1)]).json()
    _, stranger = shop.new_customer()
    missing = str(uuid.uuid4())
    for path in ("/orders/{}", "/orders/{}/cancel"):
        method = "POST" if path.endswith("cancel") else "GET"
        theirs = shop.http.request(method, path.format(order["id"]), headers=auth(stranger))
        nobodys = shop.http.request(method, path.format(missing), headers=auth(stranger))
        assert theirs.status_code == nobodys.status_code == 404
        assert theirs.json()["detail"].replace(order["id"], "ID") == nobodys.json()[
            "detail"
        ].replace(missing, "ID")
    payments = shop.http.get("/payments", params={"order_id": order["id"]}, headers=auth(stranger))
    assert payments.status_code == 200 and payments.json() == []
    assert shop.wait_terminal(owner, order["id"])["status"] == "CONFIRMED"  # not cancelled by them


def test_mass_assignment_is_refused_and_never_obeyed(shop: Shop) -> None:
    product = shop.new_product(stock=10, price_cents=1500)
    customer_id, token = shop.new_customer()
    line = {"product_id": product["id"], "quantity": 1}
    sneaky_orders = [
        ({"items": [line], "status": "CONFIRMED"}, "body.status"),
        ({"items": [line], "total_cents": 1}, "body.total_cents"),
        ({"items": [{**line, "unit_price_cents": 1}]}, "body.items.0.unit_price_cents"),
        ({"items": [line], "customer_id": "someone-else"}, "body.customer_id"),
    ]
    for body, field in sneaky_orders:
        response = shop.http.post(
            "/orders", json=body, headers={**auth(token), "Idempotency-Key": uuid.uuid4().hex}
        )
        assert_invalid_field(response, field)
    assert shop.http.get("/orders", headers=auth(token)).json()["total"] == 0

    as_admin = shop.http.post(
        "/users",
        json={
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "password": "correct-horse",
            "roles": ["admin"],
        },
    )
    assert_invalid_field(as_admin, "body.roles")
    reprice = shop.http.patch(
        f"/products/{product['id']}", json={"price_cents": 1}, headers=auth(token)
    )
    assert reprice.status_code == 403
    admin = auth(shop.admin_token())
    for field, value in (
        ("id", str(uuid.uuid4())),
        ("stock", 0),
        ("created_at", "2000-01-01T00:00:00Z"),
    ):
        patch = shop.http.patch(f"/products/{product['id']}", json={field: value}, headers=admin)
        assert_invalid_field(patch, f"body.{field}")
    assert shop.http.get(f"/products/{product['id']}").json()["price_cents"] == 1500

    order = shop.place_order(token, [(product["id"], 1)]).json()
    assert order["total_cents"] == 1500 and order["customer_id"] == customer_id
    cancelled = shop.http.post(
        f"/orders/{order['id']}/cancel", json={"status": "CONFIRMED"}, headers=auth(token)
    )
    # The only move a customer can make is to CANCELLED; the body plays no part in it.
    if cancelled.status_code == 200:
        assert cancelled.json()["status"] == "CANCELLED"
    else:
        assert cancelled.status_code == 409  # the saga settled the order first
        assert (
            shop.http.get(f"/orders/{order['id']}", headers=auth(token)).json()["status"]
            == "CONFIRMED"
        )


def test_oversized_and_deeply_nested_json_are_refused_and_lose_nothing(shop: Shop) -> None:
    _, token = shop.new_customer()
    headers = {
        **auth(token),
        "Idempotency-Key": uuid.uuid4().hex,
        "Content-Type": "application/json",
    }
    oversized = b'{"items": [' + b'{"product_id": "x", "quantity": 1},' * 40_000 + b"]}"
    response = shop.http.post("/orders", content=oversized, headers=headers)
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM
    for depth in (50, 100_000):  # nested deeper than any schema, and deeper than the parser
        nested = b'{"items": ' + b"[" * depth + b"]" * depth + b"}"
        response = shop.http.post("/orders", content=nested, headers=headers)
        assert response.status_code in (400, 413, 422), (depth, response.text)
        assert response.headers["content-type"] == PROBLEM
    admin = auth(shop.admin_token())
    deep_attributes = {"a": [[[["deep"]]]]}
    response = shop.http.post(
        "/products",
        json={
            "sku": f"DEEP-{uuid.uuid4().hex[:6]}",
            "name": "Deep",
            "price_cents": 1,
            "attributes": deep_attributes,
        },
        headers=admin,
    )
    assert response.status_code == 422
    assert shop.http.get("/products", params={"limit": 1}).status_code == 200


def test_a_flood_of_idempotency_keys_creates_a_bounded_number_of_orders(shop: Shop) -> None:
    """Each fresh key would be a new order; one customer may start 20 per 10 s and 60
    per minute, however many keys they invent. Others keep ordering.

    The limits are sliding-window counters: a burst that straddles two 10 s windows can
    get up to twice the burst limit through, never more than the minute's 60."""
    product = shop.new_product(stock=1000)
    _, flooder = shop.new_customer()
    flood = 70
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(
            pool.map(lambda _: shop.place_order(flooder, [(product["id"], 1)]), range(flood))
        )
    took = time.monotonic() - started
    accepted = [a for a in answers if a.status_code == 202]
    refused = [a for a in answers if a.status_code == 429]
    assert len(accepted) + len(refused) == flood
    windows_touched = int(took // 10) + 2
    assert 1 <= len(accepted) <= min(60, 20 * windows_touched), (len(accepted), took)
    assert refused[0].headers["content-type"] == PROBLEM
    assert int(refused[0].headers["retry-after"]) >= 1

    def flooders_orders() -> int | None:
        # The flood also spent the client's general per-second allowance: 429 a moment.
        response = shop.http.get("/orders", headers=auth(flooder))
        if response.status_code == 429:
            return None
        assert response.status_code == 200, response.text
        total: int = response.json()["total"]
        return total

    total = wait_until(flooders_orders, within=30, what="the flooder's order list (not a 429)")
    assert total == len(accepted)
    _, other = shop.new_customer()
    assert shop.place_order(other, [(product["id"], 1)]).status_code == 202
