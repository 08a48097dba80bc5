"""The customer journey through the real gateway and services on embedded PostgreSQL."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from shop import Shop, auth, metric_value

from harness.audit import database_urls_from_topology
from harness.platform.control import ControlClient
from harness.platform.supervisor import Platform
from tests.waiting import wait_until

pytestmark = pytest.mark.slow  # starts servers


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_register_login_browse_order_and_read_it_back(shop: Shop) -> None:
    customer_id, token = shop.new_customer()
    me = shop.http.get("/users/me", headers=auth(token)).json()
    assert me["id"] == customer_id and me["roles"] == ["customer"]

    page = shop.http.get("/products", params={"limit": 5}).json()
    assert page["total"] >= 1 and len(page["items"]) <= 5
    product = shop.new_product(stock=10, price_cents=250)
    filtered = shop.http.get("/products", params={"attr": "colour:green", "limit": 100}).json()
    assert product["id"] in {p["id"] for p in filtered["items"]}
    assert shop.http.get(f"/products/{product['id']}").json()["sku"] == product["sku"]

    key = uuid.uuid4().hex
    first = shop.place_order(token, [(product["id"], 2)], key=key)
    assert first.status_code == 202, first.text
    order = first.json()
    assert order["status"] == "PENDING" and order["total_cents"] == 500
    replay = shop.place_order(token, [(product["id"], 2)], key=key)
    assert replay.status_code == 202 and replay.json()["id"] == order["id"]
    assert replay.headers.get("idempotent-replayed") == "true"
    conflict = shop.place_order(token, [(product["id"], 3)], key=key)
    assert_problem(conflict, 409)

    read = shop.http.get(f"/orders/{order['id']}", headers=auth(token))
    assert read.status_code == 200 and read.json()["id"] == order["id"]
    mine = shop.http.get("/orders", headers=auth(token)).json()
    assert [o["id"] for o in mine["items"]] == [order["id"]]

    _, stranger = shop.new_customer()
    assert_problem(shop.http.get(f"/orders/{order['id']}", headers=auth(stranger)), 404)
    assert shop.http.get("/orders", headers=auth(stranger)).json()["total"] == 0


def _unsigned_token(claims: dict) -> str:
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def test_bad_tokens_are_rejected_with_401(shop: Shop) -> None:
    _, token = shop.new_customer()
    real_header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired_claims = {**claims, "exp": int(time.time()) - 60}
    bad_tokens = {
        "none": None,
        "forged": jwt.encode(
            claims, forger, algorithm="RS256", headers={"kid": real_header["kid"]}
        ),
        "alg=none": _unsigned_token(claims),
        "garbage": "not.a.token",
        # Same key id, expired claims, signed by a stranger: rejected either way.
        "expired": jwt.encode(
            expired_claims, forger, algorithm="RS256", headers={"kid": real_header["kid"]}
        ),
    }
    statuses = {
        name: shop.http.get("/orders", headers=auth(bad) if bad else {})
        for name, bad in bad_tokens.items()
    }
    for response in statuses.values():
        assert_problem(response, 401)
    assert {name: r.status_code for name, r in statuses.items()} == dict.fromkeys(bad_tokens, 401)


def test_expired_or_foreign_audience_token_with_the_real_key_is_rejected(
    shop: Shop, local_platform: Platform
) -> None:
    """Signed with the user service's own key (read from its database), yet invalid."""
    urls = database_urls_from_topology(local_platform.run_dir / "topology.json")
    with psycopg.connect(urls["user-service"]) as conn:
        row = conn.execute("SELECT kid, private_pem FROM signing_keys LIMIT 1").fetchone()
    assert row is not None
    kid, pem = row
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    customer_id, token = shop.new_customer()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {"sub", "roles", "exp", "aud"} <= set(claims) and claims["sub"] == customer_id

    valid = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
    assert shop.http.get("/orders", headers=auth(valid)).status_code == 200
    expired = jwt.encode(
        {**claims, "exp": int(time.time()) - 5}, key, algorithm="RS256", headers={"kid": kid}
    )
    assert (
        "expired" in assert_problem(shop.http.get("/orders", headers=auth(expired)), 401)["detail"]
    )
    foreign = jwt.encode(
        {**claims, "aud": "another-app"}, key, algorithm="RS256", headers={"kid": kid}
    )
    assert_problem(shop.http.get("/orders", headers=auth(foreign)), 401)


def test_customer_on_admin_route_gets_403(shop: Shop) -> None:
    _, token = shop.new_customer()
    response = shop.http.post(
        "/products",
        headers=auth(token),
        json={"sku": "NOPE-1", "name": "x", "price_cents": 100},
    )
    assert_problem(response, 403)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"items": [', "application/json"),  # malformed JSON
        (b'{"items": "many"}', "application/json"),  # wrong type
        (b'{"items": [{"product_id": "P", "quantity": -1}]}', "application/json"),
        (b'{"items": []}', "application/json"),
        (b"items=1", "application/x-www-form-urlencoded"),
    ],
)
def test_bad_order_bodies_get_4xx_problems(shop: Shop, body: bytes, content_type: str) -> None:
    _, token = shop.new_customer()
    product = shop.http.get("/products", params={"limit": 1}).json()["items"][0]
    body = body.replace(b'"P"', f'"{product["id"]}"'.encode())
    response = shop.http.post(
        "/orders",
        content=body,
        headers={**auth(token), "Idempotency-Key": uuid.uuid4().hex, "Content-Type": content_type},
    )
    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)


def test_negative_quantity_unknown_product_and_missing_key(shop: Shop) -> None:
    _, token = shop.new_customer()
    product = shop.http.get("/products", params={"limit": 1}).json()["items"][0]
    body = assert_problem(shop.place_order(token, [(product["id"], -3)]), 422)
    assert "quantity" in body["detail"]
    body = assert_problem(shop.place_order(token, [(str(uuid.uuid4()), 1)]), 422)
    assert "Unknown product" in body["detail"]
    no_key = shop.http.post(
        "/orders",
        headers=auth(token),
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
    )
    assert "Idempotency-Key" in assert_problem(no_key, 422)["detail"]


def test_huge_body_is_refused_not_crashed(shop: Shop) -> None:
    _, token = shop.new_customer()
    huge = b'{"items": [' + b'{"product_id": "x", "quantity": 1},' * 200_000 + b"]}"
    response = shop.http.post(
        "/orders",
        content=huge,
        headers={**auth(token), "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_upstream_down_gives_503_within_the_gateway_timeout(
    shop: Shop, control: ControlClient
) -> None:
    control.stop("payment-service")
    try:
        _, token = shop.new_customer()
        started = time.monotonic()
        response = shop.http.get(
            "/payments", params={"order_id": str(uuid.uuid4())}, headers=auth(token)
        )
        elapsed = time.monotonic() - started
        assert_problem(response, 503)
        assert elapsed < 6.0
    finally:
        control.start("payment-service")
    assert (
        shop.http.get(
            "/payments", params={"order_id": str(uuid.uuid4())}, headers=auth(token)
        ).status_code
        == 200
    )


def test_trace_id_and_metrics_follow_one_request(shop: Shop, local_platform: Platform) -> None:
    _, token = shop.new_customer()
    product = shop.http.get("/products", params={"limit": 1}).json()["items"][0]
    request_id = f"trace-check-{uuid.uuid4().hex}"
    response = shop.http.post(
        "/orders",
        headers={**auth(token), "Idempotency-Key": uuid.uuid4().hex, "X-Request-ID": request_id},
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
    )
    assert response.status_code == 202
    assert response.headers["x-request-id"] == request_id

    def log_lines(component: str) -> list[dict]:
        path = local_platform.run_dir / "logs" / f"{component}.log"
        lines = []
        for raw in path.read_text().splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if entry.get("request_id") == request_id:
                lines.append(entry)
        return lines

    def both_logged() -> tuple[list[dict], list[dict]] | None:
        gateway, order = log_lines("gateway"), log_lines("order-service")
        return (gateway, order) if gateway and order else None

    gateway, order = wait_until(
        both_logged, within=5, what="the gateway and order-service both logging the request"
    )
    trace_ids = {e["trace_id"] for e in gateway + order}
    assert len(trace_ids) == 1 and len(trace_ids.pop()) == 32

    metrics = shop.http.get("/metrics").text
    assert (
        metric_value(
            metrics,
            "http_server_request_duration_seconds_count",
            service="gateway",
            route="/orders",
            method="POST",
            status_class="2xx",
        )
        >= 1
    )
    assert 'route="/orders/{order_id}"' in metrics or 'route="/products/{product_id}"' in metrics
