"""The public API's contract, as the gateway serves it at ``/openapi.json``.

The operations of its route table, taken from the services' published contract, with
what the gateway itself adds: the bearer-token security of customer and admin routes
and the answers it gives on its own (401, 403, 408, 413, 429, 502, 503, 504), all of
them problem+json.
"""

from __future__ import annotations

import copy
from typing import Any

from system_under_test.common.openapi import PROBLEM_REF
from system_under_test.common.problems import PROBLEM_CONTENT_TYPE

from .routing import Access, RouteTable, RouteTableError

TITLE = "Commerce platform public API"
BEARER = "bearerAuth"
# What the gateway answers on its own, and when.
ALWAYS = {
    429: "Too many requests from this client (see Retry-After)",
    502: "The upstream service sent no valid response",
    503: "The upstream service is unreachable or its circuit is open",
    504: "The upstream service did not answer in time",
}
WITH_TOKEN = {401: "No token, or a token that is malformed, forged or expired"}
ADMIN_ONLY = {403: "The token's subject lacks the admin role"}
WITH_BODY = {
    408: "The request body did not arrive in time",
    413: "The request body exceeds the gateway's size limit",
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def _public_operation(operation: dict[str, Any], access: Access) -> dict[str, Any]:
    operation = copy.deepcopy(operation)
    # The token is the security scheme's business, not a parameter of the operation.
    parameters = [
        p
        for p in operation.pop("parameters", [])
        if not (p["in"] == "header" and p["name"].lower() == "authorization")
    ]
    if parameters:
        operation["parameters"] = parameters
    answers = dict(ALWAYS)
    if access is not Access.PUBLIC:
        operation["security"] = [{BEARER: []}]
        answers |= WITH_TOKEN
    if access is Access.ADMIN:
        answers |= ADMIN_ONLY
    if "requestBody" in operation:
        answers |= WITH_BODY
    responses = operation["responses"]
    for status, description in answers.items():
        responses.setdefault(str(status), _problem(description))
    return operation


def public_contract(table: RouteTable, services: dict[str, Any]) -> dict[str, Any]:
    """Raises RouteTableError when the table routes an operation no service documents."""
    paths: dict[str, Any] = {}
    for route in table.routes:
        documented = services.get("paths", {}).get(route.path, {})
        item: dict[str, Any] = {}
        for method, access in route.methods.items():
            operation = documented.get(method.lower())
            if operation is None:
                raise RouteTableError(
                    f"{table.source}: {method} {route.path} is routed, "
                    "but no service's contract documents it"
                )
            item[method.lower()] = _public_operation(operation, access)
        paths[route.path] = item
    components = copy.deepcopy(services.get("components", {}))
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "RS256 token from POST /auth/login (keys at /.well-known/jwks.json)",
        }
    }
    return {
        "openapi": services["openapi"],
        "info": {
            "title": TITLE,
            "version": services.get("info", {}).get("version", "1"),
            "description": "Every route of the gateway's route table. Errors are "
            "RFC 9457 problem+json documents.",
        },
        "paths": paths,
        "components": components,
    }
