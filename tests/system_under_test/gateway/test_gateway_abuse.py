"""Hostile clients at the gateway process: slow clients, forged key ids, bad tokens.

The answers here are the ones documented in docs/security.md.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from gateway_stand_ins import CLIENT_TIMEOUT_S, Keys, RunningGateway

pytestmark = pytest.mark.slow  # starts servers

PROBLEM = "application/problem+json"
SLOW_CLIENTS = 20


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


async def _slowloris(
    url: str, source: str, trickle: bool, connected: asyncio.Event
) -> tuple[float, bytes]:
    """Send a request line, then (``trickle``) one header byte at a time, as long as the
    server lets us; return how long it did and what it answered.

    A trickling client often never reads the 408: the server closes while bytes are
    still arriving, and the kernel answers those with a reset."""
    host, port = _address(url)
    reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
    started = time.monotonic()
    writer.write(b"GET /products HTTP/1.1\r\nHost: gateway\r\n")
    await writer.drain()
    connected.set()
    answer = b""
    try:
        async with asyncio.timeout(CLIENT_TIMEOUT_S * 10):
            while True:
                if trickle:
                    writer.write(b"X")
                    await writer.drain()
                try:
                    chunk = await asyncio.wait_for(reader.read(1024), timeout=0.2)
                except TimeoutError:
                    continue
                if not chunk:
                    break  # closed by the server
                answer += chunk
    except ConnectionError:
        pass  # reset by the server: cut off all the same
    finally:
        writer.close()
    return time.monotonic() - started, answer


async def test_slowloris_is_cut_off_while_others_are_served(gateway: RunningGateway) -> None:
    connected = [asyncio.Event() for _ in range(SLOW_CLIENTS)]
    slow = [
        asyncio.create_task(_slowloris(gateway.url, f"127.0.1.{n}", n > 0, connected[n]))
        for n in range(SLOW_CLIENTS)
    ]
    # Every slow client holds its connection before the others are served.
    await asyncio.wait_for(asyncio.gather(*(c.wait() for c in connected)), timeout=5)
    transport = httpx.AsyncHTTPTransport(local_address="127.0.2.1")
    async with httpx.AsyncClient(base_url=gateway.url, transport=transport, timeout=5) as c:
        for _ in range(5):  # others are served promptly while the slow clients hang on
            started = time.monotonic()
            assert (await c.get("/products/p-1")).status_code == 200
            assert time.monotonic() - started < CLIENT_TIMEOUT_S
    results = await asyncio.gather(*slow)
    for held, _ in results:
        assert held < CLIENT_TIMEOUT_S * 3, f"a slow client held its connection for {held:.1f} s"
    _, answer = results[0]  # the one that sent nothing more reads the answer
    assert answer.startswith(b"HTTP/1.1 408"), answer


async def test_a_body_that_trickles_in_is_a_408(gateway: RunningGateway) -> None:
    """Headers on time, then a body that never finishes: answered 408 and closed."""
    host, port = _address(gateway.url)
    reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.2.2", 0))
    started = time.monotonic()
    writer.write(
        b"POST /users HTTP/1.1\r\nHost: gateway\r\ncontent-type: application/json\r\n"
        b'content-length: 100\r\n\r\n{"email": "'
    )
    await writer.drain()
    async with asyncio.timeout(CLIENT_TIMEOUT_S * 5):
        answer = await reader.read()  # until the server closes the connection
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"content-type: application/problem+json" in head.lower()
    assert b"did not arrive" in body
    assert time.monotonic() - started < CLIENT_TIMEOUT_S * 3


async def test_forged_key_ids_are_401_and_cannot_flood_the_key_server(
    client: httpx.AsyncClient, keys: Keys, jwks_fetches: list[float]
) -> None:
    """A token naming a key the JWKS does not have is refused; asking the user service
    for its keys again happens at most once per refresh interval, however many come."""
    before = len(jwks_fetches)
    responses = await asyncio.gather(
        *(
            client.get("/users/me", headers={"authorization": f"Bearer {token}"})
            for token in (keys.token(kid=f"forged-{n}") for n in range(30))
        )
    )
    for response in responses:
        assert response.status_code in (401, 429), response.text
        assert response.headers["content-type"] == PROBLEM
    assert any(r.status_code == 401 for r in responses)
    assert "unknown key" in next(r for r in responses if r.status_code == 401).json()["detail"]
    assert len(jwks_fetches) - before <= 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [("alg none", "algorithm"), ("expired", "expired"), ("forged kid", "unknown key")],
)
async def test_token_attacks_are_401_naming_the_reason(
    client: httpx.AsyncClient, keys: Keys, name: str, expected: str
) -> None:
    token = {
        "alg none": keys.unsigned_token,
        "expired": lambda: keys.token(expires_in=-60),
        "forged kid": lambda: keys.token(kid="attacker-key", key=keys.forged),
    }[name]()
    response = await client.get("/orders", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert expected in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
