"""Run one journey once: render each step's request from the variables captured so far,
send it, poll when asked to, check the assertions, capture values for the next steps."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import httpx

from synthetic_probes import jsonpath
from synthetic_probes.journey import Expect, Journey, Step, Until

# Why a step failed: a small fixed set, so it can be a metric label.
FailureReason = Literal[
    "http_status", "assertion", "latency_budget", "timeout", "connection", "capture", "variable"
]
FAILURE_REASONS: tuple[str, ...] = get_args(FailureReason)

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StepFailure(Exception):
    def __init__(self, reason: FailureReason, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.reason: FailureReason = reason
        self.detail = detail
        self.status = status


class MissingVariable(StepFailure):
    def __init__(self, name: str) -> None:
        super().__init__("variable", f"variable ${{{name}}} is not set")


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    seconds: float
    status: int | None = None
    attempts: int = 0
    reason: FailureReason | None = None
    detail: str = ""
    skipped: bool = False


@dataclass(frozen=True)
class JourneyResult:
    journey: str
    steps: list[StepResult]
    cleanup: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Clean-up problems are reported but do not fail the journey: the user's view passed."""
        return all(step.ok for step in self.steps)

    @property
    def failure(self) -> StepResult | None:
        return next((step for step in self.steps if not step.ok), None)


def render(value: Any, variables: dict[str, str]) -> Any:
    """Replace ``${name}`` in every string inside ``value``."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                raise MissingVariable(name)
            return variables[name]

        return _VARIABLE.sub(substitute, value)
    if isinstance(value, list):
        return [render(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: render(item, variables) for key, item in value.items()}
    return value


async def run_journey(
    journey: Journey, client: httpx.AsyncClient, variables: dict[str, str] | None = None
) -> JourneyResult:
    """Run the steps (within the journey's timeout), then every clean-up step."""
    known = {"run_id": uuid.uuid4().hex, **journey.variables, **(variables or {})}
    started = time.monotonic()
    deadline = started + journey.timeout_seconds
    results: list[StepResult] = []
    for step in journey.steps:
        result = await _timed_step(step, client, known, deadline)
        results.append(result)
        if not result.ok:
            break
    failed = not all(result.ok for result in results)
    cleanup = [
        await _cleanup_step(step, client, known)
        for step in journey.cleanup
        if step.when == "always" or failed
    ]
    return JourneyResult(journey.name, results, cleanup, time.monotonic() - started)


async def _timed_step(
    step: Step, client: httpx.AsyncClient, variables: dict[str, str], deadline: float
) -> StepResult:
    started = time.monotonic()
    try:
        async with asyncio.timeout(max(0.0, deadline - started)):
            return await run_step(step, client, variables)
    except TimeoutError:
        elapsed = time.monotonic() - started
        return StepResult(
            step.name, False, elapsed, reason="timeout", detail="journey timeout reached"
        )


async def _cleanup_step(
    step: Step, client: httpx.AsyncClient, variables: dict[str, str]
) -> StepResult:
    try:
        render(step.request.model_dump(by_alias=True), variables)
    except MissingVariable as exc:
        return StepResult(step.name, True, 0.0, detail=exc.detail, skipped=True)
    return await _timed_step(step, client, variables, time.monotonic() + 10.0)


async def run_step(step: Step, client: httpx.AsyncClient, variables: dict[str, str]) -> StepResult:
    """One step; the captured values are added to ``variables`` when it passes."""
    started = time.monotonic()
    attempts = 0
    status: int | None = None
    try:
        spec = render(step.request.model_dump(by_alias=True), variables)
        slowest = 0.0
        while True:
            attempts += 1
            sent = time.monotonic()
            response = await _send(client, spec)
            slowest = max(slowest, time.monotonic() - sent)
            status = response.status_code
            document = _json(response)
            if step.until is None or _until_met(step.until, document) or status >= 400:
                break
            if time.monotonic() - started + step.until.every_seconds > step.until.within_seconds:
                raise StepFailure("timeout", _until_detail(step.until, document), status)
            await asyncio.sleep(step.until.every_seconds)
        _check(step.expect, response, document, slowest, variables)
        variables.update(_captures(step, document))
    except StepFailure as exc:
        elapsed = time.monotonic() - started
        return StepResult(
            step.name, False, elapsed, exc.status or status, attempts, exc.reason, exc.detail
        )
    return StepResult(step.name, True, time.monotonic() - started, status, attempts)


async def _send(client: httpx.AsyncClient, spec: dict[str, Any]) -> httpx.Response:
    try:
        return await client.request(
            spec["method"],
            spec["path"],
            params=spec["params"],
            headers=spec["headers"],
            json=spec["json"],
        )
    except httpx.TimeoutException as exc:
        raise StepFailure("timeout", f"no response: {type(exc).__name__}") from exc
    except httpx.HTTPError as exc:
        raise StepFailure("connection", f"{type(exc).__name__}: {exc}") from exc


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _until_met(until: Until, document: Any) -> bool:
    for path, accepted in until.json_paths.items():
        try:
            if jsonpath.find(document, path) not in accepted:
                return False
        except jsonpath.Missing:
            return False
    return True


def _until_detail(until: Until, document: Any) -> str:
    seen = []
    for path in until.json_paths:
        try:
            seen.append(f"{path}={jsonpath.find(document, path)!r}")
        except jsonpath.Missing:
            seen.append(f"{path} missing")
    return f"still {', '.join(seen)} after {until.within_seconds:g}s"


def _check(
    expect: Expect,
    response: httpx.Response,
    document: Any,
    slowest: float,
    variables: dict[str, str],
) -> None:
    if response.status_code not in expect.statuses():
        body = response.text[:160].replace("\n", " ")
        raise StepFailure(
            "http_status",
            f"HTTP {response.status_code}, expected {expect.status}: {body}",
            response.status_code,
        )
    for path, wanted in render(expect.json_paths, variables).items():
        problem = _mismatch(document, path, wanted)
        if problem:
            raise StepFailure("assertion", problem, response.status_code)
    if expect.max_seconds is not None and slowest > expect.max_seconds:
        raise StepFailure(
            "latency_budget",
            f"took {slowest:.3f}s, budget {expect.max_seconds:g}s",
            response.status_code,
        )


def _mismatch(document: Any, path: str, wanted: Any) -> str | None:
    try:
        actual = jsonpath.find(document, path)
        present = True
    except jsonpath.Missing:
        actual, present = None, False
    if isinstance(wanted, dict) and "exists" in wanted:
        return None if present == bool(wanted["exists"]) else f"{path}: exists is {present}"
    if not present:
        return f"{path}: missing from the response"
    if isinstance(wanted, dict) and "one_of" in wanted:
        if actual in wanted["one_of"]:
            return None
        return f"{path} is {actual!r}, expected one of {wanted['one_of']!r}"
    return None if actual == wanted else f"{path} is {actual!r}, expected {wanted!r}"


def _captures(step: Step, document: Any) -> dict[str, str]:
    captured = {}
    for name, path in step.capture.items():
        try:
            captured[name] = str(jsonpath.find(document, path))
        except jsonpath.Missing:
            raise StepFailure("capture", f"nothing at {path} to capture as {name}") from None
    return captured
