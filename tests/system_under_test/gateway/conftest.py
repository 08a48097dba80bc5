from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from itertools import count
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from gateway_stand_ins import (
    BREAKER_THRESHOLD,
    BURST_PER_SECOND,
    CLIENT_TIMEOUT_S,
    MAX_BODY_BYTES,
    UPSTREAM_TIMEOUT_S,
    Keys,
    RunningGateway,
    ServerThread,
    echo_app,
    free_port,
    run_gateway,
)


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(
        signing=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        forged=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture(scope="session")
def jwks_fetches() -> list[float]:
    """When the stand-in JWKS endpoint was read (monotonic seconds)."""
    return []


@pytest.fixture(scope="session")
def gateway(
    keys: Keys, jwks_fetches: list[float], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    jwks_app = FastAPI()

    @jwks_app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, Any]:
        jwks_fetches.append(time.monotonic())
        return keys.jwks()

    log_file = tmp_path_factory.mktemp("gateway") / "gateway.log"
    with (
        ServerThread(jwks_app) as jwks_server,
        ServerThread(echo_app("user")) as user,
        ServerThread(echo_app("product")) as product,
        ServerThread(echo_app("order")) as order,
        run_gateway(
            log_file,
            GATEWAY_JWKS_URL=f"{jwks_server.url}/.well-known/jwks.json",
            GATEWAY_USER_URL=user.url,
            GATEWAY_PRODUCT_URL=product.url,
            GATEWAY_ORDER_URL=order.url,
            # Nothing listens there: the payment service is "down".
            GATEWAY_PAYMENT_URL=f"http://127.0.0.1:{free_port()}",
            GATEWAY_RATE_LIMIT=f"{BURST_PER_SECOND}/second;500/minute",
            GATEWAY_UPSTREAM_TIMEOUT_S=str(UPSTREAM_TIMEOUT_S),
            GATEWAY_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
            GATEWAY_BREAKER_FAILURE_THRESHOLD=str(BREAKER_THRESHOLD),
            GATEWAY_BREAKER_RESET_S="60",
            GATEWAY_HEADER_TIMEOUT_S=str(CLIENT_TIMEOUT_S),
            GATEWAY_BODY_TIMEOUT_S=str(CLIENT_TIMEOUT_S),
        ) as running,
    ):
        yield running


_client_addresses = (f"127.0.0.{n}" for n in count(2))


@pytest.fixture
async def client(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own loopback source address, so every test is a distinct
    client for the per-IP rate limit."""
    transport = httpx.AsyncHTTPTransport(local_address=next(_client_addresses))
    async with httpx.AsyncClient(base_url=gateway.url, transport=transport, timeout=10) as c:
        yield c
