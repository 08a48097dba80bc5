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
    """Consecutive-failure breaker: opens after ``failure_threshold`` failures, lets one
    trial call through after ``reset_timeout`` seconds (half-open), closes on its success."""

    def __init__(
        self,
        service: str,
        peer: str,
        failure_threshold: int = 5,
        reset_timeout: float = 5.0,
        clock: Any = time.monotonic,
    ) -> None:
        self.service = service
        self.peer = peer
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._failures = 0
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
        self._trial_in_flight = False
        if self.state is not BreakerState.CLOSED:
            self._set(BreakerState.CLOSED)

    def abandon_call(self) -> None:
        """A cancelled call proves nothing either way; let the next one be the trial."""
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        self._trial_in_flight = False
        if self.state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            self._set(BreakerState.OPEN)


class PeerClient:
    """An httpx client bound to one peer, guarded by its breaker and measured.

    A 5xx answer or a transport error counts as a failure; 4xx answers are the
    caller's problem and keep the circuit closed.
    """

    def __init__(
        self,
        service: str,
        peer: str,
        base_url: str,
        timeout: float = 2.0,
        failure_threshold: int = 5,
        reset_timeout: float = 5.0,
    ) -> None:
        self.service = service
        self.peer = peer
        self.breaker = CircuitBreaker(service, peer, failure_threshold, reset_timeout)
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.breaker.before_call()
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except asyncio.CancelledError:
            self.breaker.abandon_call()
            raise
        except httpx.HTTPError:
            HTTP_CLIENT_DURATION.labels(self.service, self.peer, "error").observe(
                time.perf_counter() - started
            )
            self.breaker.record_failure()
            raise
        HTTP_CLIENT_DURATION.labels(
            self.service, self.peer, status_class(response.status_code)
        ).observe(time.perf_counter() - started)
        if response.status_code >= 500:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()
        return response

    async def aclose(self) -> None:
        await self.client.aclose()
