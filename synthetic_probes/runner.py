"""Run journeys once, outside the component: for the CLI, the game day and tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from synthetic_probes import fixtures
from synthetic_probes.engine import JourneyResult, StepResult, run_journey
from synthetic_probes.journey import Journey, JourneyError, load_journeys
from synthetic_probes.settings import DEFAULT_JOURNEYS_DIR, ProbeSettings


def find_journey(name: str, journeys_dir: Path = DEFAULT_JOURNEYS_DIR) -> Journey:
    journeys = load_journeys(journeys_dir)
    if name not in journeys:
        known = ", ".join(journeys) or "none"
        raise JourneyError(f"no journey {name!r} in {journeys_dir} (known: {known})")
    return journeys[name]


async def run_once(journey: Journey, settings: ProbeSettings) -> JourneyResult:
    """Create the probe's customer and product if needed, then run the journey once."""
    async with httpx.AsyncClient(
        base_url=settings.gateway_url, timeout=settings.request_timeout_s
    ) as client:
        await fixtures.prepare(client, settings)
        return await run_journey(journey, client, fixtures.variables(settings))


def run_journey_once(
    name: str, gateway_url: str, journeys_dir: Path = DEFAULT_JOURNEYS_DIR
) -> JourneyResult:
    """Blocking form of ``run_once`` for callers without an event loop."""
    settings = ProbeSettings(gateway_url=gateway_url, journeys_dir=journeys_dir)
    return asyncio.run(run_once(find_journey(name, journeys_dir), settings))


def format_step(step: StepResult, cleanup: bool = False) -> str:
    kind = "cleanup " if cleanup else ""
    if step.skipped:
        return f"  skip {kind}{step.name}: {step.detail}"
    mark = "ok  " if step.ok else "FAIL"
    status = f"HTTP {step.status}" if step.status is not None else "no response"
    tries = f", {step.attempts} attempts" if step.attempts > 1 else ""
    line = f"  {mark} {kind}{step.name}: {status} in {step.seconds * 1000:.0f} ms{tries}"
    if not step.ok:
        line += f" [{step.reason}] {step.detail}"
    return line


def format_result(result: JourneyResult) -> list[str]:
    lines = [f"journey {result.journey}:"]
    lines += [format_step(step) for step in result.steps]
    lines += [format_step(step, cleanup=True) for step in result.cleanup]
    verdict = "passed" if result.ok else "FAILED"
    lines.append(f"{verdict} in {result.seconds * 1000:.0f} ms")
    return lines
