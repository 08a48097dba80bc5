"""Input bounds shared by the services: what PostgreSQL and the domain can hold.

A value outside these bounds is rejected by validation (422 problem+json naming the
field) before it reaches a query, so a client's mistake can never become a 500.
"""

from __future__ import annotations

from typing import Any

from pydantic import BeforeValidator, StringConstraints

# Counts and money are PostgreSQL `integer` columns.
PG_INT_MAX = 2**31 - 1
# PostgreSQL text cannot hold NUL characters; every free-text input refuses them.
# (Lone surrogates are refused by pydantic itself: they are not valid Unicode.)
NO_NUL = r"^[^\x00]*$"
# The deepest offset a listing accepts: deep pages are a full scan, not browsing.
MAX_OFFSET = 1_000_000


def text(max_length: int, min_length: int = 0) -> StringConstraints:
    """Constraints of a free-text field: ``Annotated[str, text(200, min_length=1)]``."""
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


def _json_integer(value: Any) -> Any:
    """JSON Schema's integer: 5 and 5.0, but not true, "5" or 5.5 (pydantic's lax mode
    takes true and "5"; its strict mode refuses 5.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON integer")
    return value


# ``Annotated[int, Field(ge=0), JSON_INTEGER]``: a count or an amount in a JSON body
# (after the Field, or pydantic leaves its bounds out of the JSON schema).
JSON_INTEGER = BeforeValidator(_json_integer)
