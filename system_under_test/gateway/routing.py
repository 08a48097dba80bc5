"""The gateway's route table: a YAML file mapping route templates to upstreams."""

from __future__ import annotations

import enum
import fnmatch
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from limits import RateLimitItem, parse_many
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# Served by build_app on every service; a route file must not shadow them.
RESERVED_PREFIXES = ("/healthz", "/readyz", "/metrics", "/admin/")
_TEMPLATE = re.compile(r"/|(/([\w.~-]+|\{[A-Za-z_]\w*\}))+")


class RouteTableError(Exception):
    """A route file that cannot be used; the message names the file and the entry."""


class Access(enum.StrEnum):
    PUBLIC = "public"
    CUSTOMER = "customer"  # any valid token
    ADMIN = "admin"


class ResponseRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strip_headers: list[str] = Field(default_factory=list, description="header name globs")
    set_headers: dict[str, str] = Field(default_factory=dict)


class RouteEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    upstream: str
    methods: dict[HttpMethod, Access] = Field(min_length=1)
    response: ResponseRules = Field(default_factory=ResponseRules)
    rate_limits: dict[HttpMethod, str] = Field(
        default_factory=dict, description="per method, on top of the client's general limit"
    )

    @field_validator("path")
    @classmethod
    def _template(cls, value: str) -> str:
        if not _TEMPLATE.fullmatch(value):
            raise ValueError(
                "must be a path template like /orders/{order_id} "
                "(segments of letters, digits, . _ ~ - or {name})"
            )
        if value.startswith(RESERVED_PREFIXES):
            raise ValueError(f"{value} is reserved for the gateway's own endpoints")
        return value

    @field_validator("methods", "rate_limits", mode="before")
    @classmethod
    def _upper_case_methods(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k).upper(): v for k, v in value.items()}
        return value

    @field_validator("rate_limits")
    @classmethod
    def _parseable_limits(cls, value: dict[str, str]) -> dict[str, str]:
        for spec in value.values():
            parse_many(spec)  # raises ValueError naming the bad string
        return value


class RouteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: ResponseRules = Field(default_factory=ResponseRules)
    routes: list[RouteEntry] = Field(min_length=1)


@dataclass(frozen=True)
class HeaderRules:
    """How the gateway rewrites response headers; names and globs are lower case."""

    strip: tuple[str, ...] = ()
    set: Mapping[str, str] = field(default_factory=dict)

    def strips(self, header: str) -> bool:
        return any(fnmatch.fnmatchcase(header, glob) for glob in self.strip)

    @classmethod
    def merged(cls, *layers: ResponseRules) -> HeaderRules:
        return cls(
            strip=tuple(glob.lower() for layer in layers for glob in layer.strip_headers),
            set={k.lower(): v for layer in layers for k, v in layer.set_headers.items()},
        )


@dataclass(frozen=True)
class Route:
    path: str
    upstream: str
    methods: Mapping[str, Access]
    response: HeaderRules
    rate_limits: Mapping[str, tuple[RateLimitItem, ...]] = field(default_factory=dict)

    def requires_token(self, method: str) -> bool:
        return self.methods.get(method, Access.PUBLIC) is not Access.PUBLIC


@dataclass(frozen=True)
class RouteTable:
    source: Path
    routes: tuple[Route, ...]
    # For answers outside any route: 404s, the gateway's own endpoints.
    default_response: HeaderRules

    def find(self, template: str) -> Route | None:
        return next((route for route in self.routes if route.path == template), None)


def _describe_location(loc: tuple[int | str, ...], raw: Any) -> str:
    """('routes', 3, 'methods') -> 'routes[3] (/orders) methods'."""
    text = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            if i == 1 and loc[0] == "routes":
                entry = raw.get("routes", [])[part] if isinstance(raw, dict) else None
                if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    text += f" ({entry['path']})"
        elif part != "[key]":
            text += f"{' ' if text else ''}{part}"
    return text or "top level"


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RouteTableError(f"{path}: cannot read route file: {exc.strerror}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RouteTableError(f"{path}: invalid YAML{where}: {problem}") from exc


def load_route_table(path: Path, upstreams: Collection[str]) -> RouteTable:
    raw = _read(path)
    if not isinstance(raw, dict):
        raise RouteTableError(f"{path}: expected a mapping with a 'routes' list")
    try:
        parsed = RouteFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        where = _describe_location(tuple(first["loc"]), raw)
        raise RouteTableError(f"{path}: {where}: {first['msg']}{more}") from exc

    routes: list[Route] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(parsed.routes):
        where = f"{path}: routes[{index}] ({entry.path})"
        if entry.upstream not in upstreams:
            known = ", ".join(sorted(upstreams))
            raise RouteTableError(f"{where}: unknown upstream {entry.upstream!r} (known: {known})")
        if entry.path in seen:
            raise RouteTableError(f"{where}: duplicates routes[{seen[entry.path]}]")
        seen[entry.path] = index
        unknown = sorted(set(entry.rate_limits) - set(entry.methods))
        if unknown:
            raise RouteTableError(f"{where}: rate_limits for methods it does not route: {unknown}")
        routes.append(
            Route(
                path=entry.path,
                upstream=entry.upstream,
                methods={str(method): access for method, access in entry.methods.items()},
                response=HeaderRules.merged(parsed.response, entry.response),
                rate_limits={m: tuple(parse_many(spec)) for m, spec in entry.rate_limits.items()},
            )
        )
    return RouteTable(
        source=path, routes=tuple(routes), default_response=HeaderRules.merged(parsed.response)
    )
