"""The published contract: the gateway's /openapi.json and its route table agree."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from gateway_stand_ins import REPO

from system_under_test.contracts import SERVICES_CONTRACT, load_services_contract
from system_under_test.gateway.contract import public_contract
from system_under_test.gateway.routing import Access, RouteTableError, load_route_table
from system_under_test.gateway.settings import DEFAULT_ROUTES_FILE, GatewaySettings

UPSTREAMS = GatewaySettings().upstream_urls().keys()
PROBLEM = "application/problem+json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.mark.slow  # a gateway process
async def test_the_served_document_covers_exactly_the_route_table(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    table = load_route_table(DEFAULT_ROUTES_FILE, UPSTREAMS)
    routed = {(route.path, method.lower()) for route in table.routes for method in route.methods}
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert documented == routed
    assert len(routed) >= 15
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for route in table.routes:
        for method, access in route.methods.items():
            operation = document["paths"][route.path][method.lower()]
            where = f"{method} {route.path}"
            statuses = set(operation["responses"])
            assert {"429", "502", "503", "504"} <= statuses, where
            if access is Access.PUBLIC:
                assert "security" not in operation, where
            else:
                assert operation["security"] == [{"bearerAuth": []}], where
                assert "401" in statuses, where
            if access is Access.ADMIN:
                assert "403" in statuses, where
            if "requestBody" in operation:
                assert {"400", "408", "413", "422"} <= statuses, where
            headers = [
                p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"
            ]
            assert "authorization" not in headers, where


@pytest.mark.slow  # a gateway process
async def test_every_error_answer_is_documented_as_problem_json(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["properties"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status[0] in "45":
                    assert list(answer["content"]) == [PROBLEM], (method, path, status)
                else:
                    assert "application/json" in answer.get("content", {"application/json": 1})


def test_a_route_no_service_documents_stops_the_gateway(tmp_path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text("routes:\n  - {path: /coupons, upstream: order, methods: {GET: public}}\n")
    with pytest.raises(RouteTableError, match="GET /coupons is routed, but no service"):
        public_contract(load_route_table(routes, UPSTREAMS), load_services_contract())


def test_the_committed_services_contract_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "system_under_test.contracts", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_bounds_are_stated_in_json_schema_terms() -> None:
    """pydantic writes its own ge/le/gt/lt when a validator hides a bound from it;
    a client (or a fuzzer) reading the contract would not know the bound."""
    text = SERVICES_CONTRACT.read_text()
    for keyword in ("ge", "le", "gt", "lt"):
        assert f'"{keyword}":' not in text
    assert '"maximum": 100000000' in text
