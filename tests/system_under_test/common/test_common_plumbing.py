"""Units of the shared library: breaker, fault rules, events, problem bodies, tokens."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from system_under_test.common.auth import JwksVerifier, TokenError
from system_under_test.common.faults import FaultRegistry, FaultRule
from system_under_test.common.http_client import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    PeerClient,
    upstream_failed,
)
from system_under_test.common.messaging.events import (
    CONSUMED_BY,
    EVENT_TYPES,
    OrderCancelled,
    PoisonEvent,
    make_event,
    parse_event,
)
from system_under_test.common.problems import Problem, install_problem_handlers


class FakeClock:
    """Injected time for the breaker: a unit test of its state machine, no waiting."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_then_half_opens_and_closes() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", "peer-a", failure_threshold=3, reset_timeout=5, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as refused:
        breaker.before_call()
    assert 0 < refused.value.retry_after <= 5
    clock.now += 5
    breaker.before_call()  # the trial call
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # only one trial at a time
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_breaker_exports_half_open_once_its_reset_timeout_passed() -> None:
    """An idle breaker must not look open after its peer may be back: the next call is
    the trial. Recovery checks read this gauge."""
    clock = FakeClock()
    breaker = CircuitBreaker("svc", "peer-c", failure_threshold=1, reset_timeout=5, clock=clock)

    def exported() -> float | None:
        return REGISTRY.get_sample_value(
            "circuit_breaker_state", {"service": "svc", "peer": "peer-c"}
        )

    assert exported() == BreakerState.CLOSED
    breaker.before_call()
    breaker.record_failure()
    assert exported() == BreakerState.OPEN
    clock.now += 4.9
    assert exported() == BreakerState.OPEN
    clock.now += 0.1
    assert exported() == BreakerState.HALF_OPEN
    assert breaker.state is BreakerState.OPEN  # nothing moved it yet
    breaker.before_call()
    breaker.record_success()
    assert exported() == BreakerState.CLOSED


def test_breaker_reopens_when_the_trial_fails_and_forgets_abandoned_trials() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", "peer-b", failure_threshold=1, reset_timeout=1, clock=clock)
    breaker.before_call()
    breaker.record_failure()
    clock.now += 1
    breaker.before_call()
    breaker.abandon_call()  # cancelled trial
    breaker.before_call()  # a new trial is allowed
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def caller_aware_breaker(peer: str, min_failing_callers: int) -> CircuitBreaker:
    return CircuitBreaker(
        "svc",
        peer,
        failure_threshold=3,
        reset_timeout=5,
        clock=FakeClock(),
        min_failing_callers=min_failing_callers,
    )


def fail(breaker: CircuitBreaker, *callers: str | None) -> None:
    for caller in callers:
        breaker.before_call()
        breaker.record_failure(caller)


def test_one_callers_failures_never_open_the_breaker_but_several_callers_do() -> None:
    breaker = caller_aware_breaker("peer-c", min_failing_callers=2)
    fail(breaker, *["ip:10.0.0.66"] * 50)  # one client replaying a request that crashes
    assert breaker.state is BreakerState.CLOSED
    fail(breaker, "sub:someone-else")  # a second client fails too: an outage
    assert breaker.state is BreakerState.OPEN


def test_a_success_starts_the_count_of_failing_callers_again() -> None:
    breaker = caller_aware_breaker("peer-d", min_failing_callers=2)
    fail(breaker, "a", "b")
    breaker.before_call()
    breaker.record_success()  # someone was served: the upstream works
    fail(breaker, "a", "c")
    assert breaker.state is BreakerState.CLOSED  # two failures since the success
    fail(breaker, "d")
    assert breaker.state is BreakerState.OPEN


def test_failed_connections_open_the_breaker_whoever_asked() -> None:
    breaker = caller_aware_breaker("peer-e", min_failing_callers=3)
    fail(breaker, None, None, None)  # connection refused: no request was delivered
    assert breaker.state is BreakerState.OPEN


CLIENT_MISTAKES = (400, 404, 409, 422, 429)
UPSTREAM_FAILURES = (500, 502, 503, 504)
# Far more distinct callers than min_failing_callers: the caller rule alone cannot keep
# the breaker closed, only the classification of the answers can.
CALLERS = [f"ip:10.0.0.{n}" for n in range(1, 11)]
MIN_FAILING_CALLERS = 3

status_upstream = FastAPI()


@status_upstream.get("/status/{code}")
async def answer_with(code: int) -> Response:
    return Response(status_code=code)


@asynccontextmanager
async def peer_of_status_upstream(peer: str) -> AsyncIterator[PeerClient]:
    """A PeerClient (its breaker and its 4xx/5xx rule) talking to an in-process upstream."""
    client = PeerClient(
        "svc",
        peer,
        "http://upstream",
        failure_threshold=3,
        min_failing_callers=MIN_FAILING_CALLERS,
    )
    await client.aclose()  # the socket-bound client it made; no server runs here
    client.client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=status_upstream), base_url="http://upstream"
    )
    try:
        yield client
    finally:
        await client.aclose()


async def test_bad_requests_from_many_callers_never_open_the_breaker() -> None:
    async with peer_of_status_upstream("peer-4xx") as peer:
        for _ in range(5):
            for caller in CALLERS:
                for status in CLIENT_MISTAKES:
                    response = await peer.request("GET", f"/status/{status}", caller=caller)
                    assert response.status_code == status
        assert peer.breaker.state is BreakerState.CLOSED


@pytest.mark.parametrize("status", UPSTREAM_FAILURES)
async def test_the_same_callers_meeting_upstream_failures_open_the_breaker(status: int) -> None:
    answered: list[int] = []
    async with peer_of_status_upstream(f"peer-{status}") as peer:
        for caller in CALLERS:
            try:
                response = await peer.request("GET", f"/status/{status}", caller=caller)
            except CircuitOpenError:
                break
            answered.append(response.status_code)
        assert peer.breaker.state is BreakerState.OPEN
    # Open once the third distinct caller failed; the callers after it were refused.
    assert answered == [status] * MIN_FAILING_CALLERS


@pytest.mark.parametrize(
    ("status", "failed"),
    [
        *[(ok, False) for ok in (200, 201, 204, 301, 304)],
        *[(mistake, False) for mistake in (400, 401, 403, 404, 408, 409, 413, 422, 429)],
        *[(failure, True) for failure in (500, 501, 502, 503, 504)],
    ],
)
def test_only_5xx_answers_say_the_upstream_failed(status: int, failed: bool) -> None:
    assert upstream_failed(status) is failed


def test_fault_rules_match_by_glob_and_method_and_spare_admin_paths() -> None:
    registry = FaultRegistry()
    registry.set([FaultRule(route="/orders*", method="POST", error_rate=1.0)])
    assert registry.match("POST", "/orders") is not None
    assert registry.match("POST", "/orders/1/cancel") is not None
    assert registry.match("GET", "/orders") is None
    assert registry.match("POST", "/products") is None
    registry.set([FaultRule(route="*", latency_ms=10)])
    assert registry.match("GET", "/admin/faults") is None
    assert registry.match("GET", "/healthz") is None
    registry.clear()
    assert registry.match("POST", "/orders") is None


def test_expiring_fault_rules_remove_themselves() -> None:
    registry = FaultRegistry()
    registry.set([FaultRule(route="*", error_rate=1.0, expires_in_s=0.0001)])
    import time

    time.sleep(0.01)
    assert registry.active() == []


def test_events_round_trip_and_poison_is_recognised() -> None:
    order_id = uuid.uuid4()
    event = make_event(order_id, OrderCancelled(customer_id="c1", reason="changed mind"))
    assert event.type == "order.cancelled.v1" and event.topic == "orders"
    parsed = parse_event(event.model_dump_json().encode())
    assert parsed == event and isinstance(parsed.body(), OrderCancelled)
    poison = {
        b"": "envelope",
        b"{not json": "envelope",
        json.dumps(
            {**json.loads(event.model_dump_json()), "type": "order.exploded.v1"}
        ).encode(): "unknown event type",
        json.dumps({**json.loads(event.model_dump_json()), "payload": {}}).encode(): "payload",
    }
    for raw, reason in poison.items():
        with pytest.raises(PoisonEvent, match=reason):
            parse_event(raw)


def test_every_event_type_has_consumers_and_they_handle_it() -> None:
    from system_under_test.order_service.handlers import HANDLERS as ORDER
    from system_under_test.payment_service.handlers import saga_handlers
    from system_under_test.product_service.handlers import HANDLERS as PRODUCT

    handled = {
        "order-service": set(ORDER),
        "product-service": set(PRODUCT),
        "payment-service": set(saga_handlers(provider=None, give_up_after_s=1)),  # type: ignore[arg-type]
    }
    assert set(CONSUMED_BY) == set(EVENT_TYPES)
    for event_type, consumers in CONSUMED_BY.items():
        for service, types in handled.items():
            assert (event_type in types) == (service in consumers), (event_type, service)


def test_problem_bodies_for_raised_problems_validation_and_crashes() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/teapot")
    async def teapot() -> None:
        raise Problem(418, "Short and stout.", retry=False)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    client = TestClient(app, raise_server_exceptions=False)
    teapot_response = client.get("/teapot")
    assert teapot_response.status_code == 418
    assert teapot_response.headers["content-type"] == "application/problem+json"
    assert (
        teapot_response.json()["detail"] == "Short and stout."
        and teapot_response.json()["retry"] is False
    )
    invalid = client.get("/items/abc")
    assert invalid.status_code == 422 and "item_id" in invalid.json()["detail"]
    assert client.get("/nowhere").json()["status"] == 404
    crash = client.get("/boom")
    assert crash.status_code == 500 and "secret" not in crash.text


async def test_verifier_refetches_keys_once_for_an_unknown_kid() -> None:
    from system_under_test.user_service.domain import SigningKey

    fetches = []
    first, second = SigningKey.generate(), SigningKey.generate()
    published = [first]

    async def fetch() -> dict:
        fetches.append(1)
        return {"keys": [k.public_jwk() for k in published]}

    verifier = JwksVerifier("unused", audience="commerce", fetch=fetch)
    import jwt

    def token(key: SigningKey) -> str:
        claims = {"sub": "u1", "aud": "commerce", "exp": 2_000_000_000, "roles": ["customer"]}
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    assert (await verifier.verify(token(first))).subject == "u1"
    assert (await verifier.verify(token(first))).roles == frozenset({"customer"})
    assert len(fetches) == 1  # cached
    published.append(second)
    with pytest.raises(TokenError, match="unknown key"):
        await verifier.verify(token(second))  # refresh is rate-limited right after a fetch
    verifier._fetched_at -= 60
    assert (await verifier.verify(token(second))).subject == "u1"
    assert len(fetches) == 2
