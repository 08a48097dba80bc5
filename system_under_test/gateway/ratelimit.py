"""Per-client rate limiting: every configured limit (say a burst and a sustained one)
must allow the request. Sliding-window counters keep two numbers per client and limit.

One replica counts in its own memory. Several replicas share one count through Redis
(``GATEWAY_RATE_LIMIT_STORAGE_URL=redis://host:6379/0``); otherwise each replica would
let a client through the whole limit, and N replicas would multiply it by N. When the
shared store cannot be reached the replica falls back to counting in its own memory:
limits stay in force per replica instead of vanishing or failing every request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

NAMESPACE = "gateway"
# A slow store must not slow every request down; past this the replica counts alone.
STORE_TIMEOUT_S = 0.25
WARN_EVERY_S = 30.0
log = logging.getLogger(__name__)


def shared_storage(url: str) -> Storage:
    """``memory://`` or ``redis://[:password@]host:port[/db]`` (also ``rediss://``)."""
    if url.startswith(("redis://", "rediss://")):
        return storage_from_string(  # type: ignore[return-value]
            f"async+{url}",
            implementation="redispy",
            wrap_exceptions=True,
            socket_timeout=STORE_TIMEOUT_S,
            socket_connect_timeout=STORE_TIMEOUT_S,
        )
    if url in ("memory://", "async+memory://"):
        return MemoryStorage()
    raise ValueError(f"unsupported rate limit storage {url!r}: use memory:// or redis://host:port")


class ClientRateLimiter:
    def __init__(self, spec: str, storage_url: str = "memory://") -> None:
        self.limits = parse_many(spec)
        self.storage_url = storage_url
        self._shared = SlidingWindowCounterRateLimiter(shared_storage(storage_url))
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._warned_at = -WARN_EVERY_S

    async def acquire(
        self, client: str, extra: Sequence[RateLimitItem] = (), scope: str = ""
    ) -> float | None:
        """Count one request; None when allowed, else seconds until the client may retry.

        ``extra`` limits (a route's own) are counted apart from the client's general
        ones, under ``scope``."""
        checks = [(limit, NAMESPACE) for limit in self.limits]
        checks += [(limit, f"{NAMESPACE}:{scope}") for limit in extra]
        try:
            return await self._acquire(self._shared, client, checks)
        except StorageError as exc:
            self._warn(exc)
            return await self._acquire(self._local, client, checks)

    @staticmethod
    async def _acquire(
        limiter: SlidingWindowCounterRateLimiter,
        client: str,
        checks: Sequence[tuple[RateLimitItem, str]],
    ) -> float | None:
        for limit, namespace in checks:
            if not await limiter.hit(limit, namespace, client):
                stats = await limiter.get_window_stats(limit, namespace, client)
                return max(stats.reset_time - time.time(), 0.0)
        return None

    def _warn(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "rate limit store %s unreachable (%s); counting in this replica only",
                self.storage_url.split("@")[-1],
                exc.storage_error,
            )
