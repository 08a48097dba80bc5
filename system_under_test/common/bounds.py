"""Input bounds shared by the services: what PostgreSQL and the domain can hold.

A value outside these bounds is rejected by validation (422 problem+json naming the
field) before it reaches a query, so a client's mistake can never become a 500.
"""

from __future__ import annotations

from pydantic import StringConstraints

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
