"""Saga drill against a running platform: place N orders through the gateway, optionally
pausing the dev broker for a while mid-run, then run the integrity audit.

    .venv/bin/harness up --detach
    .venv/bin/python scripts/saga_drill.py --orders 100 --broker-outage 20
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from harness.audit import (
    database_urls_from_topology,
    format_report,
    provider_ledger_from_topology,
    run_audit,
)
from harness.platform import state
from harness.platform.control import ControlClient

CUSTOMERS = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument(
        "--broker-outage",
        type=float,
        default=0,
        metavar="S",
        help="pause the dev broker for S seconds once half the orders are in",
    )
    parser.add_argument("--state-dir", help="platform state folder (default .harness)")
    args = parser.parse_args()

    current = state.running(state.state_dir(args.state_dir))
    if current is None or not current.alive:
        print(
            "saga_drill: no platform running; start one with `harness up --detach`", file=sys.stderr
        )
        return 2
    topology = current.run_dir / "topology.json"
    control = ControlClient.from_run_dir(current.run_dir)
    gateway = state.component_urls(current.run_dir)["gateway"]
    http = httpx.Client(base_url=gateway, timeout=30)
    products = http.get("/products", params={"limit": 10, "in_stock": True}).json()["items"]
    tokens = []
    for _ in range(CUSTOMERS):
        email = f"drill-{uuid.uuid4().hex[:8]}@example.com"
        http.post("/users", json={"email": email, "password": "drill-password"}).raise_for_status()
        login = http.post("/auth/login", json={"email": email, "password": "drill-password"})
        tokens.append(login.json()["access_token"])

    outage_done = threading.Event()

    def outage() -> None:
        print(f"pausing the dev broker for {args.broker_outage:.0f}s", flush=True)
        control.pause("kafka")
        time.sleep(args.broker_outage)
        control.resume("kafka")
        print("dev broker resumed", flush=True)
        outage_done.set()

    def place(n: int) -> int:
        if args.broker_outage and n == args.orders // 2:
            threading.Thread(target=outage, daemon=True).start()
        product = products[n % len(products)]
        response = http.post(
            "/orders",
            headers={
                "Authorization": f"Bearer {tokens[n % CUSTOMERS]}",
                "Idempotency-Key": f"drill-{n}",
            },
            json={"items": [{"product_id": product["id"], "quantity": 1}]},
        )
        return response.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
        codes = list(pool.map(place, range(args.orders)))
    accepted = codes.count(202)
    print(
        f"placed {args.orders} orders in {time.monotonic() - started:.1f}s, "
        f"{accepted} accepted (202)"
    )
    if args.broker_outage:
        outage_done.wait()
    report = run_audit(
        database_urls_from_topology(topology),
        settle_timeout_s=120,
        ledger=provider_ledger_from_topology(topology),
    )
    print(format_report(report))
    return 0 if report.passed and accepted == args.orders else 1


if __name__ == "__main__":
    sys.exit(main())
