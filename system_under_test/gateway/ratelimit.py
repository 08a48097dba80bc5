"""Per-client rate limiting: every configured limit (say a burst and a sustained one)
must allow the request. Sliding-window counters keep two numbers per client and limit."""

from __future__ import annotations

import time

from limits import parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

NAMESPACE = "gateway"


class ClientRateLimiter:
    def __init__(self, spec: str) -> None:
        self.limits = parse_many(spec)
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    async def acquire(self, client: str) -> float | None:
        """Count one request; None when allowed, else seconds until the client may retry."""
        for limit in self.limits:
            if not await self._limiter.hit(limit, NAMESPACE, client):
                stats = await self._limiter.get_window_stats(limit, NAMESPACE, client)
                return max(stats.reset_time - time.time(), 0.0)
        return None
