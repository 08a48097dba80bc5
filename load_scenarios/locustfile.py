"""Personas of the commerce platform for Locust.

Run through ``load_scenarios.runner`` (or ``harness load``), or directly:
``locust -f load_scenarios/locustfile.py --headless --host URL --load-shape ramp``.

Every shopper signs in with an account of its own, so the gateway's per-client rate
limit applies per simulated user (anonymous requests from one machine would all share
one IP budget). Pages with ids in the URL are grouped with ``name=``.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, LoadTestShape, between, events, task
from locust.env import Environment
from locust.runners import WorkerRunner

from load_scenarios import shapes, testdata
from load_scenarios.thresholds import (
    AGGREGATED,
    THRESHOLD_EXIT_CODE,
    RequestRow,
    evaluate,
    from_json,
)

PASSWORD = "load-test-password"  # noqa: S105 - throwaway accounts made by the load test
ORDER_SETTLE_S = 20.0
SAGA_REQUEST = "order placed -> terminal"
# The provider's test card that its issuer always declines. A share of buyers pay with it
# (--load-declined-card-share, 3 % by default): those orders must end CANCELLED (the
# checkout-success SLO leaves them out, as caused by the customer), so every run
# exercises that path too.
DECLINED_CARD = "card_declined"

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per test-data request


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("commerce load scenarios")
    group.add_argument("--load-shape", default="steady", choices=sorted(shapes.SHAPES))
    group.add_argument("--load-users", type=int, default=10, help="users of the shape")
    group.add_argument("--load-peak-users", type=int, default=0, help="spike peak (0: 4x)")
    group.add_argument("--load-duration", type=float, default=60.0, help="seconds")
    group.add_argument("--load-spawn-rate", type=float, default=0.0, help="0: automatic")
    group.add_argument("--load-products", type=int, default=20, help="load-test catalog size")
    group.add_argument(
        "--load-declined-card-share",
        type=float,
        default=0.03,
        help="share of orders paid with the card its issuer declines",
    )
    group.add_argument("--load-thresholds", default="", help="JSON: request -> limits")
    group.add_argument("--load-report", default="", help="write the threshold verdict here")
    group.add_argument("--load-admin-email", default="admin@example.com")
    group.add_argument("--load-admin-password", default="admin-password")


def _options_of(environment: Environment) -> Any:
    return environment.parsed_options


@events.test_start.add_listener
def _create_test_data(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return  # the master (or the single local process) creates it once
    options = _options_of(environment)
    testdata.ensure_catalog(
        environment.host or "",
        options.load_admin_email,
        options.load_admin_password,
        options.load_products,
    )


@events.quitting.add_listener
def _apply_thresholds(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or environment.runner is None:
        return
    options = _options_of(environment)
    thresholds = from_json(options.load_thresholds)
    if not thresholds:
        return  # Locust's own rule: exit code 1 when any request failed
    stats = environment.runner.stats
    rows = [
        RequestRow(
            f"{entry.method} {entry.name}",
            entry.num_requests,
            entry.num_failures,
            entry.get_response_time_percentile(0.95) or 0.0,
        )
        for entry in stats.entries.values()
    ]
    total = stats.total
    rows.append(
        RequestRow(
            AGGREGATED,
            total.num_requests,
            total.num_failures,
            total.get_response_time_percentile(0.95) or 0.0,
        )
    )
    violations = evaluate(thresholds, rows)
    environment.process_exit_code = THRESHOLD_EXIT_CODE if violations else 0
    if options.load_report:
        verdict = {"passed": not violations, "violations": violations}
        Path(options.load_report).write_text(json.dumps(verdict, indent=2) + "\n")


class ConfiguredShape(LoadTestShape):
    """The shape named by ``--load-shape``, with its parameters from the other options."""

    def __init__(self) -> None:
        super().__init__()
        self._shape: shapes.StagedShape | None = None

    def tick(self) -> tuple[int, float] | None:
        if self._shape is None:
            assert self.runner is not None
            options = _options_of(self.runner.environment)
            params = shapes.ShapeParams(
                users=options.load_users,
                duration_s=options.load_duration,
                peak_users=options.load_peak_users or None,
                spawn_rate=options.load_spawn_rate or None,
            )
            self._shape = shapes.build(options.load_shape, params)
        return self._shape.tick(self.get_run_time())


class _SignedIn(FastHttpUser):
    """A customer with an account of its own, registered when the user starts."""

    abstract = True

    def on_start(self) -> None:
        self.email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        self.client.post("/users", json={"email": self.email, "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {self._login(self.email, PASSWORD)}"}
        self.product_ids = self._load_catalog()

    def _login(self, email: str, password: str) -> str:
        with self.client.post(
            "/auth/login", json={"email": email, "password": password}, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"login failed: HTTP {response.status_code}")
                return ""
            token: str = response.json()["access_token"]
            return token

    def _load_catalog(self) -> list[str]:
        response = self.client.get(
            f"/products?attr={testdata.DATASET_ATTRIBUTE}&limit=100",
            name="/products?attr=[filter]",
            headers=self.headers,
        )
        if response.status_code != 200:
            return []
        return [item["id"] for item in response.json()["items"]]

    def _product(self) -> str | None:
        return random.choice(self.product_ids) if self.product_ids else None


class BrowsingShopper(_SignedIn):
    """Looks around: pages through the catalog, filters, searches, opens products."""

    weight = 6
    wait_time = between(1, 3)

    @task(4)
    def list_page(self) -> None:
        offset = random.choice((0, 20, 40))
        self.client.get(
            f"/products?limit=20&offset={offset}",
            name="/products?limit&offset",
            headers=self.headers,
        )

    @task(2)
    def filter_by_attribute(self) -> None:
        colour = random.choice(("red", "green", "blue", "black"))
        self.client.get(
            f"/products?attr=colour:{colour}&in_stock=true",
            name="/products?attr=[filter]",
            headers=self.headers,
        )

    @task(1)
    def search(self) -> None:
        term = random.choice(("beans", "book", "cable", "item", "jacket"))
        self.client.get(f"/products?q={term}", name="/products?q=[term]", headers=self.headers)

    @task(4)
    def view_product(self) -> None:
        product = self._product()
        if product:
            self.client.get(f"/products/{product}", name="/products/[id]", headers=self.headers)

    @task(1)
    def check_stock(self) -> None:
        product = self._product()
        if product:
            self.client.get(
                f"/products/{product}/stock", name="/products/[id]/stock", headers=self.headers
            )


class BuyingShopper(_SignedIn):
    """Browses briefly, places an order and waits for the saga to finish it."""

    weight = 3
    wait_time = between(2, 5)

    @task
    def buy(self) -> None:
        self.client.get("/products?limit=20", name="/products?limit&offset", headers=self.headers)
        chosen = random.sample(self.product_ids, k=min(len(self.product_ids), random.randint(1, 2)))
        if not chosen:
            return
        for product in chosen:
            self.client.get(f"/products/{product}", name="/products/[id]", headers=self.headers)
        items = [{"product_id": product, "quantity": random.randint(1, 3)} for product in chosen]
        declined = random.random() < _options_of(self.environment).load_declined_card_share
        placed_at = time.monotonic()
        with self.client.post(
            "/orders",
            json={"items": items, "payment_method": DECLINED_CARD if declined else "card"},
            headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
            catch_response=True,
        ) as response:
            if response.status_code != 202:
                response.failure(f"order refused: HTTP {response.status_code}")
                return
            order_id = response.json()["id"]
        self._await_terminal(order_id, placed_at, "CANCELLED" if declined else "CONFIRMED")

    def _await_terminal(self, order_id: str, placed_at: float, expected: str) -> None:
        """Poll the order; report the saga's duration as a request of its own, failed
        unless the order ended as ``expected``."""
        status = "PENDING"
        while time.monotonic() - placed_at < ORDER_SETTLE_S:
            time.sleep(0.5)
            response = self.client.get(
                f"/orders/{order_id}", name="/orders/[id]", headers=self.headers
            )
            if response.status_code == 200:
                status = response.json()["status"]
                if status != "PENDING":
                    break
        problem = None if status == expected else RuntimeError(f"order ended {status}")
        self.environment.events.request.fire(
            request_type="SAGA",
            name=SAGA_REQUEST,
            response_time=(time.monotonic() - placed_at) * 1000,
            response_length=0,
            exception=problem,
            context={},
        )


class NewCustomer(FastHttpUser):
    """Signs up, signs in and looks at the new account (password hashing is costly)."""

    weight = 1
    wait_time = between(3, 8)

    @task
    def sign_up(self) -> None:
        email = f"load-new-{uuid.uuid4().hex[:12]}@example.com"
        self.client.post("/users", json={"email": email, "password": PASSWORD})
        response = self.client.post("/auth/login", json={"email": email, "password": PASSWORD})
        if response.status_code == 200:
            token = response.json()["access_token"]
            self.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})


class CatalogAdmin(FastHttpUser):
    """One merchandiser: reprices load-test products and adjusts their stock."""

    fixed_count = 1
    wait_time = between(3, 6)

    def on_start(self) -> None:
        options = _options_of(self.environment)
        response = self.client.post(
            "/auth/login",
            json={"email": options.load_admin_email, "password": options.load_admin_password},
        )
        token = response.json()["access_token"] if response.status_code == 200 else ""
        self.headers = {"Authorization": f"Bearer {token}"}
        listing = self.client.get(
            f"/products?attr={testdata.DATASET_ATTRIBUTE}&limit=100",
            name="/products?attr=[filter]",
        )
        ok = listing.status_code == 200
        self.product_ids = [item["id"] for item in listing.json()["items"]] if ok else []

    @task(2)
    def reprice(self) -> None:
        if self.product_ids:
            self.client.patch(
                f"/products/{random.choice(self.product_ids)}",
                json={"price_cents": random.randint(500, 5000)},
                name="/products/[id]",
                headers=self.headers,
            )

    @task(1)
    def restock(self) -> None:
        if self.product_ids:
            self.client.put(
                f"/products/{random.choice(self.product_ids)}/stock",
                json={"stock": random.randint(testdata.STOCK // 2, testdata.STOCK)},
                name="/products/[id]/stock",
                headers=self.headers,
            )
