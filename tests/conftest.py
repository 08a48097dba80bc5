"""Session-wide fixtures: one real platform (embedded PostgreSQL, dev Kafka broker,
the services, Prometheus, Alertmanager) shared by every test that asks for it.

Tests that start servers carry the ``slow`` marker: ``make check`` runs the rest (the
fast inner loop), ``make test`` runs everything. A test that asks for a server fixture
without the marker is refused at collection, so the fast tier stays server-free.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest

from harness.platform.testing import control, local_platform

__all__ = ["control", "local_platform"]

# pytest keeps its last few session directories under one root per user and prunes the
# older ones: two checkouts testing on one machine would delete each other's running
# platforms. Each checkout gets its own root (read lazily by pytest, so set here).
_CHECKOUT = hashlib.sha256(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()[:10]
_ROOT = Path(tempfile.gettempdir()) / f"harness-tests-{_CHECKOUT}"
_ROOT.mkdir(exist_ok=True)
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(_ROOT))

SERVER_FIXTURES = frozenset(
    {"local_platform", "control", "shop", "backfilled_prometheus", "gateway", "prometheus"}
)
# Tests on the session's shared platform run on one xdist worker (`--dist loadgroup`):
# one platform for all of them, started once.
SHARED_PLATFORM_FIXTURES = frozenset({"local_platform", "control", "shop"})
# The longest groups go out first (the nox session turns off xdist's reordering by test
# count), so that no worker starts a five-minute group while the other runs dry.
LONGEST_GROUPS_FIRST = ("games", "stop-games", "shared-platform", "chaos-platform")


# First: xdist reads the groups in its own hook of the same name.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # An explicit group wins: xdist joins several group names into a new group.
        if item.get_closest_marker("xdist_group") is not None:
            continue
        if SHARED_PLATFORM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("shared-platform"))
        elif item.get_closest_marker("slow") is not None:
            # A slow module's tests share its module-scoped servers: one worker, one start.
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    items.sort(key=_longest_first)
    unmarked = [
        item.nodeid
        for item in items
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests that start servers must be marked slow (pytest.mark.slow): "
            + ", ".join(unmarked)
        )


def _longest_first(item: pytest.Item) -> int:
    """Known long groups in their order, then the other slow modules, then the rest."""
    marker = item.get_closest_marker("xdist_group")
    name = None if marker is None else marker.args[0] if marker.args else marker.kwargs.get("name")
    if name in LONGEST_GROUPS_FIRST:
        return LONGEST_GROUPS_FIRST.index(name)
    if item.get_closest_marker("slow") is not None:
        return len(LONGEST_GROUPS_FIRST)
    return len(LONGEST_GROUPS_FIRST) + 1
