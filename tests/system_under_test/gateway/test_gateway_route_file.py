"""The route file: the shipped table follows the documented contract, bad files fail clearly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from gateway_stand_ins import REPO, gateway_env

from system_under_test.gateway.routing import Access, RouteTableError, load_route_table
from system_under_test.gateway.settings import DEFAULT_ROUTES_FILE, GatewaySettings

UPSTREAMS = GatewaySettings().upstream_urls().keys()


def documented_routes() -> dict[str, tuple[str, dict[str, str]]]:
    """template -> (upstream, {method: access}) from the Public API table of the docs."""
    text = (REPO / "docs" / "architecture.md").read_text()
    section = text.split("## Public API", 1)[1].split("\n## ", 1)[0]
    routes: dict[str, tuple[str, dict[str, str]]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`/"):
            continue
        methods = re.findall(r"\b(GET|POST|PUT|PATCH|DELETE)\b", cells[1])
        # "customer (owner) or admin": ownership is the service's check, the gateway's is customer.
        levels = [re.findall(r"public|customer|admin", part)[0] for part in cells[3].split("/")]
        if len(levels) == 1:
            levels *= len(methods)
        # A template may span several rows (GET /products and POST /products).
        _, access = routes.setdefault(cells[0].strip("`"), (cells[2], {}))
        access.update(zip(methods, levels, strict=True))
    return routes


def test_shipped_table_matches_the_documented_public_api() -> None:
    table = load_route_table(DEFAULT_ROUTES_FILE, UPSTREAMS)
    shipped = {
        route.path: (route.upstream, {m: str(a) for m, a in route.methods.items()})
        for route in table.routes
    }
    documented = documented_routes()
    assert len(documented) >= 10
    assert shipped == documented


def test_shipped_table_rewrites_headers() -> None:
    table = load_route_table(DEFAULT_ROUTES_FILE, UPSTREAMS)
    orders = table.find("/orders/{order_id}")
    assert orders is not None
    assert orders.methods == {"GET": Access.CUSTOMER}
    assert orders.requires_token("GET")
    assert orders.response.strips("server") and orders.response.strips("x-internal-node")
    assert not orders.response.strips("content-type")
    assert orders.response.set["x-frame-options"] == "DENY"
    assert table.default_response.set["x-content-type-options"] == "nosniff"


def test_route_overrides_merge_with_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(
        "response: {strip_headers: [server], set_headers: {X-Frame-Options: DENY}}\n"
        "routes:\n"
        "  - path: /.well-known/jwks.json\n"
        "    upstream: user\n"
        "    methods: {get: public}\n"
        "    response: {strip_headers: [etag], set_headers: {cache-control: max-age=300}}\n"
    )
    (route,) = load_route_table(path, UPSTREAMS).routes
    assert route.methods == {"GET": Access.PUBLIC}
    assert route.response.strip == ("server", "etag")
    assert route.response.set == {"x-frame-options": "DENY", "cache-control": "max-age=300"}


ENTRY = "  - path: /orders\n    upstream: order\n    methods: {GET: customer}\n"
MALFORMED = {
    "invalid YAML": ("routes: [\n  - path: /orders\n", r"invalid YAML at line \d+"),
    "not a mapping": ("- /orders\n", r"expected a mapping with a 'routes' list"),
    "no routes": ("routes: []\n", r"routes: List should have at least 1 item"),
    "unknown upstream": (
        "routes:\n  - path: /orders\n    upstream: billing\n    methods: {GET: customer}\n",
        r"routes\[0\] \(/orders\): unknown upstream 'billing' \(known: order, payment",
    ),
    "bad access level": (
        "routes:\n  - path: /orders\n    upstream: order\n    methods: {GET: owner}\n",
        r"routes\[0\] \(/orders\) methods GET: Input should be 'public', 'customer' or 'admin'",
    ),
    "bad method": (
        "routes:\n  - path: /orders\n    upstream: order\n    methods: {FETCH: public}\n",
        r"routes\[0\] \(/orders\) methods FETCH: Input should be 'GET'",
    ),
    "typo in a key": (
        "routes:\n  - path: /orders\n    upstreams: order\n    methods: {GET: public}\n",
        r"routes\[0\] \(/orders\) upstream: Field required \(and 1 more problems\)",
    ),
    "bad template": (
        "routes:\n  - path: orders/{id\n    upstream: order\n    methods: {GET: public}\n",
        r"routes\[0\] \(orders/\{id\) path: Value error, must be a path template",
    ),
    "reserved path": (
        "routes:\n  - path: /metrics\n    upstream: order\n    methods: {GET: public}\n",
        r"routes\[0\] \(/metrics\) path: Value error, /metrics is reserved",
    ),
    "duplicate path": (
        "routes:\n" + ENTRY + ENTRY,
        r"routes\[1\] \(/orders\): duplicates routes\[0\]",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_route_file_names_file_and_entry(tmp_path: Path, case: str) -> None:
    content, expected = MALFORMED[case]
    path = tmp_path / "routes.yaml"
    path.write_text(content)
    with pytest.raises(RouteTableError) as error:
        load_route_table(path, UPSTREAMS)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert re.search(expected, message), message
    assert "\n" not in message


def test_missing_route_file(tmp_path: Path) -> None:
    with pytest.raises(RouteTableError, match=r"absent\.yaml: cannot read route file"):
        load_route_table(tmp_path / "absent.yaml", UPSTREAMS)


def run_gateway_command(**settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "system_under_test.gateway"],
        cwd=REPO,
        env=gateway_env(**settings),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_gateway_refuses_to_start_with_a_bad_route_file(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(MALFORMED["unknown upstream"][0])
    result = run_gateway_command(GATEWAY_ROUTES_FILE=str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: gateway: {path}: routes[0] (/orders): unknown upstream 'billing' "
        "(known: order, payment, product, user)"
    )


def test_gateway_refuses_to_start_with_a_bad_rate_limit() -> None:
    result = run_gateway_command(GATEWAY_RATE_LIMIT="fifty per second")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: gateway: invalid setting GATEWAY_RATE_LIMIT:")
    assert "Traceback" not in result.stderr
