"""Rate limits that hold with more than one gateway: two gateway processes share one
count in a real redis-server (Debian's), as the chart's replicas do."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from gateway_stand_ins import RunningGateway, ServerThread, echo_app, free_port, run_gateway

from tests.waiting import start_on_free_port

pytestmark = pytest.mark.slow  # starts servers

LIMIT = 6
# An hour-long window: a test never straddles two windows of the sliding counter.
RATE_LIMIT = f"{LIMIT}/hour"
REDIS_SERVER = shutil.which("redis-server")


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """redis-server on a free port; another process taking the port first is retried."""
    assert REDIS_SERVER is not None, "redis-server is missing: run scripts/bootstrap.sh"
    log_path = directory / "redis.log"
    log = log_path.open("wb")

    def spawn(port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            # No persistence: the counts live as long as the test.
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            cwd=directory, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def pings(port: int) -> bool:
        with contextlib.suppress(redis.RedisError):
            return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())
        return False

    server, port = start_on_free_port(spawn, pings, log_path, what="redis-server", within=10)
    try:
        yield f"redis://127.0.0.1:{port}/0", server
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def two_gateways(directory: Path, storage_url: str) -> Iterator[list[RunningGateway]]:
    settings = {
        "GATEWAY_RATE_LIMIT": RATE_LIMIT,
        "GATEWAY_RATE_LIMIT_STORAGE_URL": storage_url,
        # Public routes only: nothing asks for keys.
        "GATEWAY_JWKS_URL": f"http://127.0.0.1:{free_port()}/.well-known/jwks.json",
    }
    with (
        ServerThread(echo_app("product")) as product,
        run_gateway(directory / "gateway-a.log", GATEWAY_PRODUCT_URL=product.url, **settings) as a,
        run_gateway(directory / "gateway-b.log", GATEWAY_PRODUCT_URL=product.url, **settings) as b,
    ):
        yield [a, b]


def alternate(gateways: list[RunningGateway], source: str, requests: int) -> list[int]:
    """One client, its requests spread over the replicas like a load balancer would."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=10) as client:
        return [
            client.get(f"{gateways[n % len(gateways)].url}/products").status_code
            for n in range(requests)
        ]


def test_two_gateways_sharing_redis_hold_one_combined_limit(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (url, _), two_gateways(tmp_path, url) as gateways:
        statuses = alternate(gateways, "127.0.3.1", 4 * LIMIT)
    assert statuses.count(200) == LIMIT, statuses
    assert statuses.count(429) == 3 * LIMIT, statuses


def test_without_a_shared_store_each_replica_grants_the_whole_limit(tmp_path: Path) -> None:
    """What the shared store is for: in memory, two replicas double the limit."""
    with two_gateways(tmp_path, "memory://") as gateways:
        statuses = alternate(gateways, "127.0.3.2", 4 * LIMIT)
    assert statuses.count(200) == 2 * LIMIT, statuses


def test_an_unreachable_store_leaves_each_replica_limiting_alone(tmp_path: Path) -> None:
    with redis_server(tmp_path) as (url, server), two_gateways(tmp_path, url) as gateways:
        assert alternate(gateways, "127.0.3.3", 2).count(200) == 2
        server.terminate()
        server.wait(timeout=10)
        statuses = alternate(gateways, "127.0.3.4", 4 * LIMIT)
        log = "".join((tmp_path / f"gateway-{n}.log").read_text() for n in "ab")
    assert set(statuses) <= {200, 429}, statuses  # never a 5xx for the store's outage
    assert statuses.count(200) == 2 * LIMIT, statuses
    assert "counting in this replica only" in log
