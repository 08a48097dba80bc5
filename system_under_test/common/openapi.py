"""OpenAPI documents that tell the truth about errors: every 4xx/5xx is problem+json.

Routes declare the error statuses they can answer with ``responses=problems(404, 409)``;
``document_problems`` makes every error response of the generated document (FastAPI's
own 422 included) an ``application/problem+json`` body with the ``Problem`` schema.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from .problems import PROBLEM_CONTENT_TYPE

PROBLEM_REF = "#/components/schemas/Problem"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class FieldError(BaseModel):
    field: str = Field(description="Where the bad value is, e.g. query.limit or body.items.0")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; services may add extension members."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = "about:blank"
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Validation failures, one per field (422 only)"
    )


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the error statuses it may answer with."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def problem_schemas() -> dict[str, Any]:
    """Component schemas the problem responses refer to."""
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {"Problem": schema, **definitions}


def rewrite_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx/5xx response becomes problem+json; FastAPI's validation schemas go;
    operations with a body may answer 400 (a body that is not JSON text)."""
    for path_item in document.get("paths", {}).values():
        for method in HTTP_METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            if "requestBody" in operation:  # FastAPI's answer to a body it cannot decode
                operation["responses"].setdefault("400", {"description": "Malformed body"})
            for status, response in operation.get("responses", {}).items():
                if str(status)[0] in "45":
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(problem_schemas())
    return document


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and so ``/openapi.json``) describe problem+json errors."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = rewrite_error_responses(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
