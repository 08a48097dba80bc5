"""The test data a game starts from: the demo catalog back at its seeded stock, so
repeated games judge the same conditions (earlier games' sales do not carry over)."""

from __future__ import annotations

import httpx

from harness.gameday.platform_handle import PlatformHandle
from harness.platform.seed import SeedError, restock
from harness.platform.topology import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD


def reset_test_data(platform: PlatformHandle) -> str:
    """Restock the demo catalog through the gateway's admin API; returns what was done,
    for the game's notes (a failure is noted too: the game still runs)."""
    env = platform.env("user-service")
    try:
        result = restock(
            platform.url("gateway"),
            env.get("USER_ADMIN_EMAIL", DEFAULT_ADMIN_EMAIL),
            env.get("USER_ADMIN_PASSWORD", DEFAULT_ADMIN_PASSWORD),
        )
    except (SeedError, httpx.HTTPError) as exc:
        return f"test data: the demo catalog could not be restocked, stock carries over: {exc}"
    return "test data: " + result.describe()
