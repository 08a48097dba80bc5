"""Where the scorer reads metrics: Prometheus' HTTP API, or answers recorded from it.

Results are Prometheus' own JSON shapes: an instant query gives
``[{"metric": {...}, "value": [t, "v"]}]``, a range query
``[{"metric": {...}, "values": [[t, "v"], ...]}]``. ``RecordingSource`` keeps every
answer so that a scoring run can be replayed later by ``ReplaySource`` (the tests'
fixtures are such recordings).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.util.retry import Retry

Result = list[dict[str, Any]]


class SourceUnavailable(Exception):
    """Prometheus cannot be reached (or a recording lacks the answer)."""


class QueryFailed(Exception):
    """Prometheus answered with an error: the query is wrong."""


class MetricSource(Protocol):
    def instant(self, query: str, at: float) -> Result: ...

    def range(self, query: str, start: float, end: float, step: float) -> Result: ...


def _range_key(query: str, start: float, end: float, step: float) -> str:
    # The HTTP API takes whole seconds (prometheus-api-client rounds them too).
    return f"{query}|{round(start)}|{round(end)}|{step:g}"


def _instant_key(query: str, at: float) -> str:
    return f"{query}|{at:.3f}"


class PrometheusSource:
    """Prometheus' query API through prometheus-api-client (its core needs neither pandas
    nor matplotlib)."""

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout
        # One retry: a Prometheus that is gone must not stall the report for minutes.
        self._client = PrometheusConnect(
            url=self.url, retry=Retry(total=1, backoff_factor=0.2), timeout=int(timeout)
        )

    def reachable(self) -> bool:
        try:
            return bool(self._client.check_prometheus_connection())
        except requests.RequestException:
            return False

    def instant(self, query: str, at: float) -> Result:
        return self._call(lambda: self._client.custom_query(query, params={"time": f"{at:.3f}"}))

    def range(self, query: str, start: float, end: float, step: float) -> Result:
        return self._call(
            lambda: self._client.custom_query_range(
                query,
                start_time=datetime.fromtimestamp(start, UTC),
                end_time=datetime.fromtimestamp(end, UTC),
                step=f"{step:g}s",
            )
        )

    def _call(self, request: Any) -> Result:
        try:
            result: Result = request()
        except requests.RequestException as exc:
            raise SourceUnavailable(f"Prometheus at {self.url} is unreachable: {exc}") from exc
        except PrometheusApiClientException as exc:
            raise QueryFailed(str(exc)) from exc
        return result


class RecordingSource:
    """Passes queries to another source and keeps every answer."""

    def __init__(self, inner: MetricSource) -> None:
        self.inner = inner
        self.answers: dict[str, dict[str, Result]] = {"instant": {}, "range": {}}

    def instant(self, query: str, at: float) -> Result:
        result = self.inner.instant(query, at)
        self.answers["instant"][_instant_key(query, at)] = result
        return result

    def range(self, query: str, start: float, end: float, step: float) -> Result:
        result = self.inner.range(query, start, end, step)
        self.answers["range"][_range_key(query, start, end, step)] = result
        return result

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.answers, indent=1, sort_keys=True) + "\n")


class ReplaySource:
    """Answers recorded by ``RecordingSource``; a query never recorded is unavailable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.answers: dict[str, dict[str, Result]] = json.loads(path.read_text())

    def instant(self, query: str, at: float) -> Result:
        return self._lookup("instant", _instant_key(query, at))

    def range(self, query: str, start: float, end: float, step: float) -> Result:
        return self._lookup("range", _range_key(query, start, end, step))

    def _lookup(self, kind: str, key: str) -> Result:
        try:
            return self.answers[kind][key]
        except KeyError:
            raise SourceUnavailable(f"{self.path}: no recorded {kind} answer for {key}") from None
