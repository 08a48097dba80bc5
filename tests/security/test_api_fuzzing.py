"""Schemathesis against the gateway's published contract, on a platform of its own.

The fuzzer runs its coverage, fuzzing and stateful phases with every default check
(no server errors, responses conform to the schema, documented status codes and
content types, schema-valid requests accepted, invalid ones rejected...), once with a
customer's token and once with the admin's. It creates products and orders with
arbitrary contents, so it gets a platform of its own (`harness up --detach` on free
ports in a temporary state directory) instead of the suite's shared one.

FUZZ_MAX_EXAMPLES sets the examples per operation; FUZZ_SEED the seed, fixed by default
so that the suite fuzzes the same cases every run (`nox -s security` raises the examples
and draws a new seed each time: `FUZZ_SEED=random`; the summary prints the seed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from system_under_test.gateway.settings import DEFAULT_ROUTES_FILE

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
HARNESS = [sys.executable, "-m", "harness"]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
SERVICES = "gateway,user-service,product-service,order-service,payment-service,payment-provider"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
SEED = os.environ.get("FUZZ_SEED", "20261203")


def fuzz_target_routes(directory: Path) -> Path:
    """The shipped route table without its per-route limits.

    The fuzzer sends hundreds of orders a minute from one customer: under the shipped
    POST /orders limit nearly all would be 429s and the ordering logic would go
    untested. The limits themselves are tested in tests/system_under_test/platform.
    """
    table = yaml.safe_load(DEFAULT_ROUTES_FILE.read_text())
    for route in table["routes"]:
        route.pop("rate_limits", None)
    path = directory / "routes.yaml"
    path.write_text(yaml.safe_dump(table))
    return path


@pytest.fixture(scope="module")
def fuzz_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state_dir = tmp_path_factory.mktemp("fuzz-platform")
    env = os.environ | {
        # Far above what one fuzzing client sends; the general limit has its own tests.
        "GATEWAY_RATE_LIMIT": "100000/second",
        "GATEWAY_ROUTES_FILE": str(fuzz_target_routes(state_dir)),
    }
    up = [*HARNESS, "up", "--detach", "--free-ports", "--state-dir", str(state_dir)]
    started = subprocess.run(
        [*up, "--only", SERVICES, "--timeout", "120"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        status = subprocess.run(
            [*HARNESS, "status", "--json", "--state-dir", str(state_dir)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        ports = {row["name"]: row["port"] for row in json.loads(status.stdout)}
        yield f"http://127.0.0.1:{ports['gateway']}"
    finally:
        subprocess.run(
            [*HARNESS, "down", "--state-dir", str(state_dir)], cwd=REPO, timeout=120, check=False
        )


def token_for(gateway: str, role: str) -> str:
    with httpx.Client(base_url=gateway, timeout=15) as client:
        if role == "admin":
            credentials = {"email": "admin@example.com", "password": "admin-password"}
        else:
            credentials = {
                "email": f"fuzz-{uuid.uuid4().hex[:8]}@example.com",
                "password": "x" * 12,
            }
            assert client.post("/users", json=credentials).status_code == 201
        response = client.post("/auth/login", json=credentials)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


def summary(output: str) -> str:
    """Schemathesis' closing block: phases, failures, test cases generated."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if "SUMMARY" in line), len(lines) - 30)
    return "\n".join(lines[start:])


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_the_contract_holds_under_fuzzing(fuzz_gateway: str, role: str, tmp_path: Path) -> None:
    token = token_for(fuzz_gateway, role)
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(CONFIG),
            "run",
            f"{fuzz_gateway}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--phases",
            "coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "2",
            *([] if SEED == "random" else ["--seed", SEED]),
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache of crashes in its working directory
        capture_output=True,
        text=True,
        timeout=1200,
    )
    print(f"schemathesis as {role}:\n{summary(result.stdout)}")
    assert result.returncode == 0, (
        f"schemathesis found failures as {role}:\n{result.stdout[-20000:]}"
    )
