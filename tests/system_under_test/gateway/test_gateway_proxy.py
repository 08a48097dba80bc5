"""The gateway process over real HTTP, between a client and the stand-in upstreams."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from gateway_stand_ins import (
    BREAKER_THRESHOLD,
    BURST_PER_SECOND,
    MAX_BODY_BYTES,
    UPSTREAM_TIMEOUT_S,
    Keys,
    RunningGateway,
)
from prometheus_client.parser import text_string_to_metric_families

from tests.waiting import await_until

pytestmark = pytest.mark.slow  # starts servers

PROBLEM = "application/problem+json"


async def metric(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The sample's value, 0 when the series does not exist yet."""
    text = (await client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_forwards_method_path_query_body_and_allowed_headers(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    token = keys.token()
    response = await client.post(
        "/orders/o%201/cancel?reason=changed+mind&x=1",
        content=b'{"note": "hi"}',
        headers={
            **bearer(token),
            "content-type": "application/json",
            "idempotency-key": "idem-42",
            "accept": "application/json",
            "cookie": "session=secret",
            "x-internal-role": "admin",
        },
    )
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["upstream"] == "order"
    assert seen["method"] == "POST"
    assert seen["raw_path"] == "/orders/o%201/cancel"
    assert seen["query"] == "reason=changed+mind&x=1"
    assert seen["body"] == '{"note": "hi"}'
    headers = seen["headers"]
    assert headers["authorization"] == f"Bearer {token}"
    assert headers["content-type"] == "application/json"
    assert headers["idempotency-key"] == "idem-42"
    assert headers["accept"] == "application/json"
    assert "cookie" not in headers
    assert "x-internal-role" not in headers


async def test_upstream_status_and_problem_body_pass_through(client: httpx.AsyncClient) -> None:
    response = await client.get("/products/p-1?status=409")
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "https://example.test/echo",
        "title": "Echo problem",
        "status": 409,
        "detail": "product refused",
    }


async def test_route_templates_label_the_metrics(client: httpx.AsyncClient, keys: Keys) -> None:
    labels = {
        "service": "gateway",
        "route": "/orders/{order_id}",
        "method": "GET",
        "status_class": "2xx",
    }
    before = await metric(client, "http_server_request_duration_seconds_count", **labels)
    for order_id in ("a1", "b2", "c3"):
        assert (await client.get(f"/orders/{order_id}", headers=bearer(keys.token()))).is_success
    after = await metric(client, "http_server_request_duration_seconds_count", **labels)
    assert after - before == 3


async def test_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    labels = {"service": "gateway", "route": "unmatched", "status_class": "4xx"}
    before = await metric(client, "http_server_request_duration_seconds_count", **labels)
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404
    after = await metric(client, "http_server_request_duration_seconds_count", **labels)
    assert after - before == 1


async def test_method_not_in_the_table_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.delete("/products/p-1")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM


BAD_TOKENS: dict[str, Callable[[Keys], dict[str, str]]] = {
    "no token": lambda keys: {},
    "not bearer": lambda keys: {"authorization": "Basic dXNlcjpwYXNz"},
    "garbage": lambda keys: bearer("not-a-jwt"),
    "expired": lambda keys: bearer(keys.token(expires_in=-60)),
    "forged (wrong key)": lambda keys: bearer(keys.token(key=keys.forged)),
    "alg none": lambda keys: bearer(keys.unsigned_token()),
    "wrong audience": lambda keys: bearer(keys.token(audience="someone-else")),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_tokens_are_401_problems(
    client: httpx.AsyncClient, keys: Keys, case: str
) -> None:
    response = await client.get("/users/me", headers=BAD_TOKENS[case](keys))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 401
    assert "www-authenticate" in response.headers


async def test_admin_routes_need_the_admin_role(client: httpx.AsyncClient, keys: Keys) -> None:
    as_customer = await client.post("/products", json={}, headers=bearer(keys.token()))
    assert as_customer.status_code == 403
    assert as_customer.headers["content-type"] == PROBLEM
    as_admin = await client.post("/products", json={}, headers=bearer(keys.token(roles=("admin",))))
    assert as_admin.status_code == 200
    assert as_admin.json()["upstream"] == "product"


async def test_public_routes_need_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/products?page=2")
    assert response.status_code == 200
    assert response.json()["query"] == "page=2"


async def test_burst_over_the_limit_is_429_with_retry_after(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    route = "/orders/{order_id}"
    before = await metric(client, "gateway_rate_limited_total", route=route)
    flooder = bearer(keys.token())
    attempts = 4 * BURST_PER_SECOND
    started = time.monotonic()
    responses = await asyncio.gather(
        *(client.get(f"/orders/o-{i}", headers=flooder) for i in range(attempts))
    )
    # Each one-second window lets at most a burst through; a slow machine spans more windows.
    windows_spanned = int(time.monotonic() - started) + 2
    accepted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(accepted) + len(refused) == attempts
    assert refused
    assert len(accepted) <= BURST_PER_SECOND * windows_spanned
    assert refused[0].headers["content-type"] == PROBLEM
    assert int(refused[0].headers["retry-after"]) == 1
    after = await metric(client, "gateway_rate_limited_total", route=route)
    assert after - before == len(refused)
    # The limit is per client: another user is not affected.
    assert (await client.get("/orders/o-x", headers=bearer(keys.token()))).status_code == 200


async def test_anonymous_clients_are_limited_by_ip(client: httpx.AsyncClient) -> None:
    attempts = 3 * BURST_PER_SECOND
    responses = await asyncio.gather(*(client.get("/products") for _ in range(attempts)))
    assert any(r.status_code == 429 for r in responses)


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    declared = await client.post("/users", content=b"x" * (MAX_BODY_BYTES + 1))
    assert declared.status_code == 413
    assert declared.headers["content-type"] == PROBLEM

    # Sent without content-length: the gateway must count while reading.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"y" * (MAX_BODY_BYTES // 2)

    streamed = await client.post("/users", content=chunks())
    assert streamed.status_code == 413

    at_limit = await client.post("/users", content=b"z" * MAX_BODY_BYTES)
    assert at_limit.status_code == 200
    assert len(at_limit.json()["body"]) == MAX_BODY_BYTES


async def test_dead_upstream_is_503_then_breaker_opens(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    user = bearer(keys.token())
    for _ in range(BREAKER_THRESHOLD):
        started = time.monotonic()
        response = await client.get("/payments?order_id=o-1", headers=user)
        assert time.monotonic() - started < UPSTREAM_TIMEOUT_S + 1
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        assert "unreachable" in response.json()["detail"]
    assert await metric(client, "circuit_breaker_state", service="gateway", peer="payment") == 2
    short_circuited = await client.get("/payments?order_id=o-1", headers=user)
    assert short_circuited.status_code == 503
    assert "circuit open" in short_circuited.json()["detail"]
    assert int(short_circuited.headers["retry-after"]) >= 1
    # A dead service must not take the gateway out of rotation.
    assert (await client.get("/readyz")).status_code == 200
    assert await metric(client, "circuit_breaker_state", service="gateway", peer="order") == 0


async def test_slow_upstream_is_504_within_the_timeout(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    started = time.monotonic()
    response = await client.get("/orders/slow?delay_s=3", headers=bearer(keys.token()))
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM
    assert UPSTREAM_TIMEOUT_S <= elapsed < UPSTREAM_TIMEOUT_S + 1


async def test_request_id_and_trace_context_reach_the_upstream(
    client: httpx.AsyncClient, gateway: RunningGateway
) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    response = await client.get("/products/p-7", headers={"x-request-id": request_id})
    assert response.headers["x-request-id"] == request_id
    upstream_headers = response.json()["headers"]
    assert upstream_headers["x-request-id"] == request_id
    traceparent = upstream_headers["traceparent"]
    match = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}", traceparent)
    assert match, traceparent
    trace_id = match.group(1)

    async def access_lines() -> list[dict[str, Any]]:
        return [
            e
            for e in gateway.log_entries()
            if e.get("logger") == "access" and e.get("request_id") == request_id
        ]

    access = await await_until(access_lines, within=3, what="the request's access log line")
    assert access[0]["trace_id"] == trace_id
    assert access[0]["route"] == "/products/{product_id}"


async def test_incoming_trace_is_continued(client: httpx.AsyncClient) -> None:
    trace_id = uuid.uuid4().hex
    response = await client.get(
        "/products/p-8", headers={"traceparent": f"00-{trace_id}-{'ab' * 8}-01"}
    )
    assert response.json()["headers"]["traceparent"].split("-")[1] == trace_id


async def test_generated_request_id_is_forwarded(client: httpx.AsyncClient) -> None:
    response = await client.get("/products/p-9")
    assert response.json()["headers"]["x-request-id"] == response.headers["x-request-id"]


async def test_response_headers_are_rewritten(client: httpx.AsyncClient, keys: Keys) -> None:
    public = await client.get("/products/p-1")
    private = await client.get("/orders/o-1", headers=bearer(keys.token()))
    refused = await client.get("/orders/o-1")
    for response in (public, private, refused):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert "echo-upstream" not in response.headers.get_list("server")
        assert not [h for h in response.headers if h.startswith("x-internal-")]
    assert public.headers["x-upstream"] == "product"  # ordinary headers pass
    assert public.headers["cache-control"] == "public, max-age=60"
    assert private.headers["cache-control"] == "no-store"
    assert refused.headers["cache-control"] == "no-store"
