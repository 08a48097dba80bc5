"""Outgoing HTTP: an httpx client with timeouts, a circuit breaker and client metrics."""

from __future__ import annotations

import asyncio
import enum
import time
from typing import Any

import httpx

from .metrics import CIRCUIT_BREAKER_STATE, HTTP_CLIENT_DURATION, status_class


class BreakerState(enum.IntEnum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitOpenError(Exception):
    def __init__(self, peer: str, retry_after: float) -> None:
        super().__init__(f"circuit to {peer} is open")
        self.peer = peer
        self.retry_after = retry_after


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures, lets one trial call
    through after ``reset_timeout`` seconds (half-open), closes on its success.

    A failure that a request can bring on itself (a 5xx answer, a read timeout) is
    charged to its caller, and such failures open the circuit only once at least
    ``min_failing_callers`` distinct callers are among them: one client replaying a
    request that crashes the upstream must not cut every other client off. A failure
    with no caller (the upstream refused the connection) says nothing about any
    request and counts on its own.
    """

    def __init__(
        self,
        service: str,
        peer: str,
        failure_threshold: int = 5,
        reset_timeout: float = 5.0,
        clock: Any = time.monotonic,
        min_failing_callers: int = 1,
    ) -> None:
        self.service = service
        self.peer = peer
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.min_failing_callers = min_failing_callers
        self._clock = clock
        self._failures = 0
        self._failing_callers: set[str] = set()  # at most min_failing_callers entries
        self._caller_independent = False
        self._opened_at = 0.0
        self._trial_in_flight = False
        self.state = BreakerState.CLOSED
        # Read at scrape time: an open breaker whose reset timeout has passed admits the
        # next call as its trial, so it is exported as half-open, not open. Otherwise an
        # idle breaker would look open long after its peer came back.
        CIRCUIT_BREAKER_STATE.labels(service, peer).set_function(
            lambda: float(self.effective_state())
        )

    def effective_state(self) -> BreakerState:
        """The state the next call meets (the stored state changes only on calls)."""
        if (
            self.state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.reset_timeout
        ):
            return BreakerState.HALF_OPEN
        return self.state

    def _set(self, state: BreakerState) -> None:
        self.state = state

    def before_call(self) -> None:
        if self.state is BreakerState.OPEN:
            waited = self._clock() - self._opened_at
            if waited < self.reset_timeout:
                raise CircuitOpenError(self.peer, self.reset_timeout - waited)
            self._set(BreakerState.HALF_OPEN)
            self._trial_in_flight = False
        if self.state is BreakerState.HALF_OPEN:
            if self._trial_in_flight:
                raise CircuitOpenError(self.peer, self.reset_timeout)
            self._trial_in_flight = True

    def record_success(self) -> None:
        self._failures = 0
        self._failing_callers.clear()
        self._caller_independent = False
        self._trial_in_flight = False
        if self.state is not BreakerState.CLOSED:
            self._set(BreakerState.CLOSED)

    def abandon_call(self) -> None:
        """A cancelled call proves nothing either way; let the next one be the trial."""
        self._trial_in_flight = False

    def record_failure(self, caller: str | None = None) -> None:
        """``caller`` is who sent the failed request; None when no request was delivered."""
        self._failures += 1
        self._trial_in_flight = False
        if caller is None:
            self._caller_independent = True
        elif len(self._failing_callers) < self.min_failing_callers:
            self._failing_callers.add(caller)
        enough_callers = (
            self._caller_independent or len(self._failing_callers) >= self.min_failing_callers
        )
        if self.state is BreakerState.HALF_OPEN or (
            self._failures >= self.failure_threshold and enough_callers
        ):
            self._opened_at = self._clock()
            self._set(BreakerState.OPEN)


def upstream_failed(status: int) -> bool:
    """Which answers say the upstream is unhealthy (docs/architecture.md, "Circuit
    breakers"): 5xx. A 4xx is the caller's mistake and proves the upstream is serving."""
    return status >= 500


class PeerClient:
    """An httpx client bound to one peer, guarded by its breaker and measured.

    Failures: a 5xx answer or a read/write timeout (charged to the caller), a failed
    connection (charged to nobody). 4xx answers are the caller's problem and count
    as successes: the upstream answered.
    """

    def __init__(
        self,
        service: str,
        peer: str,
        base_url: str,
        timeout: float = 2.0,
        failure_threshold: int = 5,
        reset_timeout: float = 5.0,
        min_failing_callers: int = 1,
    ) -> None:
        self.service = service
        self.peer = peer
        self.breaker = CircuitBreaker(
            service,
            peer,
            failure_threshold,
            reset_timeout,
            min_failing_callers=min_failing_callers,
        )
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def request(
        self, method: str, url: str, *, caller: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """``caller`` names the client the request is made for (a customer, an address)."""
        self.breaker.before_call()
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except asyncio.CancelledError:
            self.breaker.abandon_call()
            raise
        except httpx.HTTPError as exc:
            HTTP_CLIENT_DURATION.labels(self.service, self.peer, "error").observe(
                time.perf_counter() - started
            )
            # Nothing was delivered when the connection failed: no request to blame.
            delivered = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            self.breaker.record_failure(caller if delivered else None)
            raise
        HTTP_CLIENT_DURATION.labels(
            self.service, self.peer, status_class(response.status_code)
        ).observe(time.perf_counter() - started)
        if upstream_failed(response.status_code):
            self.breaker.record_failure(caller)
        else:
            self.breaker.record_success()
        return response

    async def aclose(self) -> None:
        await self.client.aclose()
