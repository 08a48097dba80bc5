"""Games are comparable: three short games in a row on one platform each start from the
seeded demo catalog, whatever happened to it before, and the README's journey still
ends CONFIRMED afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from harness.audit import database_urls_from_topology
from harness.platform import state
from harness.platform.seed import demo_products
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600), pytest.mark.xdist_group("games")]

# Short warm-up under load, no round, short cool-down: about 15 s a game.
TINY_PROFILE = """\
name: tiny
description: three games in a row on one platform
warmup_s: 6
load: {scenario: mixed, shape: steady, users: 3, spawn_rate: 3}
probes: true
rounds: []
cooldown_s: 2
settle_timeout_s: 30
"""
ADMIN = {"email": "admin@example.com", "password": "admin-password"}


def harness(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True, text=True, check=False, timeout=timeout,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def token_of(gateway: httpx.Client, email: str, password: str) -> str:
    response = gateway.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def demo_catalog(gateway: httpx.Client) -> dict[str, dict[str, Any]]:
    """The listed demo products by SKU (the listing is sorted by SKU: demo ones first)."""
    skus = {p["sku"] for p in demo_products()}
    items = gateway.get("/products", params={"limit": 100}).json()["items"]
    found = {item["sku"]: item for item in items if item["sku"] in skus}
    assert set(found) == skus
    return found


def reserved_since(product_db: str, started: datetime) -> dict[str, int]:
    """Units of each product still reserved by orders placed since ``started``."""
    with psycopg.connect(product_db) as conn:
        rows = conn.execute(
            "SELECT product_id, sum(quantity) FROM reservations "
            "WHERE status = 'reserved' AND created_at >= %s GROUP BY product_id",
            (started,),
        ).fetchall()
    return {str(product): int(units) for product, units in rows}


def test_three_games_in_a_row_start_from_the_seeded_catalog(tmp_path: Path) -> None:
    state_dir, runs, profile = tmp_path / "state", tmp_path / "runs", tmp_path / "tiny.yaml"
    profile.write_text(TINY_PROFILE)
    up = harness(
        "up", "--detach", "--free-ports", "--profile", "game", "--state-dir", str(state_dir),
        timeout=400,
    )  # fmt: skip
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        running = state.running(state_dir)
        assert running is not None
        gateway_url = state.component_urls(running.run_dir)["gateway"]
        product_db = database_urls_from_topology(running.run_dir / "topology.json")[
            "product-service"
        ]
        seeded = {p["sku"]: p["stock"] for p in demo_products()}
        with httpx.Client(base_url=gateway_url, timeout=15) as gateway:
            admin = {"Authorization": f"Bearer {token_of(gateway, **ADMIN)}"}
            for game in range(3):
                # What earlier games left: the first product sold out, others drifted.
                catalog = demo_catalog(gateway)
                first, second, *_ = sorted(catalog)
                drift = {first: 0, second: seeded[second] + 7 + game}
                for sku, stock in drift.items():
                    response = gateway.put(
                        f"/products/{catalog[sku]['id']}/stock", json={"stock": stock},
                        headers=admin,
                    )  # fmt: skip
                    assert response.status_code == 200, response.text

                played = harness(
                    "gameday", "--profile", str(profile), "--state-dir", str(state_dir),
                    "--reports-dir", str(runs), "--baseline", "none", timeout=300,
                )  # fmt: skip
                records = sorted(runs.glob("*/game.json"))
                assert len(records) == game + 1, played.stdout + played.stderr
                record = json.loads(records[-1].read_text())
                assert played.returncode in (0, 1), played.stderr[-3000:]  # a verdict, no crash
                assert record["audit"]["passed"], record["audit"]
                restocked = [n for n in record["notes"] if n.startswith("test data:")]
                assert len(restocked) == 1, record["notes"]
                for sku, stock in drift.items():
                    assert f"{sku} {stock} -> {seeded[sku]}" in restocked[0]

                # Every demo product was at its seeded stock when the game started: what
                # it holds now plus what the game's orders still reserve.
                started = datetime.fromtimestamp(record["started_at"], UTC)
                reserved = reserved_since(product_db, started)
                after = demo_catalog(gateway)
                assert {
                    sku: item["stock"] + reserved.get(item["id"], 0) for sku, item in after.items()
                } == seeded, f"game {game + 1}"

            # The README's journey: the first listed product, ordered once, is CONFIRMED.
            email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
            registered = gateway.post("/users", json={"email": email, "password": "correct-horse"})
            assert registered.status_code == 201, registered.text
            customer = {"Authorization": f"Bearer {token_of(gateway, email, 'correct-horse')}"}
            product = gateway.get("/products", params={"limit": 1}).json()["items"][0]
            placed = gateway.post(
                "/orders",
                headers={**customer, "Idempotency-Key": "first-order"},
                json={"items": [{"product_id": product["id"], "quantity": 1}]},
            )
            assert placed.status_code == 202, placed.text

            def terminal() -> dict[str, Any] | None:
                orders = gateway.get("/orders", headers=customer).json()["items"]
                return orders[0] if orders and orders[0]["status"] != "PENDING" else None

            order = wait_until(terminal, within=30, what="the README's order reaching an end")
            assert order["status"] == "CONFIRMED", order
    finally:
        down = harness("down", "--state-dir", str(state_dir), timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
