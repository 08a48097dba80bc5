"""A small JSON path subset for assertions and captures: ``$.items[0].id``, ``$.status``."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


class PathError(ValueError):
    """A path this subset does not understand."""


class Missing(LookupError):
    """The document has nothing at that path."""


def parse(path: str) -> list[str | int]:
    if not path.startswith("$"):
        raise PathError(f"JSON path {path!r} must start with '$'")
    parts: list[str | int] = []
    position = 1
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            raise PathError(f"JSON path {path!r}: cannot read {path[position:]!r}")
        key, index = match.groups()
        parts.append(int(index) if index is not None else key)
        position = match.end()
    return parts


def find(document: Any, path: str) -> Any:
    """The value at ``path``; raises ``Missing`` when there is none."""
    value = document
    for part in parse(path):
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                raise Missing(path)
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                raise Missing(path)
            value = value[part]
    return value
