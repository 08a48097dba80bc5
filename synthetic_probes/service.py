"""The probe-runner component: every journey on its own interval, metrics on /metrics.

Ready (``/readyz``) once the probe's customer and product exist; until then the
fixtures are retried, so a platform that comes up in any order ends up probed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, disable_created_metrics, generate_latest
from pydantic import ValidationError

from synthetic_probes import fixtures
from synthetic_probes.engine import JourneyResult, run_journey
from synthetic_probes.journey import Journey, JourneyError, load_journeys
from synthetic_probes.metrics import ProbeMetrics
from synthetic_probes.settings import ProbeSettings
from system_under_test.common.logs import configure_logging

log = logging.getLogger("synthetic_probes")
MAX_FIXTURE_BACKOFF_S = 5.0


class ProbeRunner:
    def __init__(self, settings: ProbeSettings, journeys: dict[str, Journey]) -> None:
        self.settings = settings
        self.journeys = journeys
        self.metrics = ProbeMetrics()
        self.prepared = asyncio.Event()
        self.last: dict[str, tuple[float, JourneyResult]] = {}
        for name in journeys:
            self.metrics.declare(name)

    async def run(self) -> None:
        async with httpx.AsyncClient(
            base_url=self.settings.gateway_url, timeout=self.settings.request_timeout_s
        ) as client:
            await self._prepare(client)
            async with asyncio.TaskGroup() as group:
                for journey in self.journeys.values():
                    group.create_task(self._repeat(journey, client))

    async def _prepare(self, client: httpx.AsyncClient) -> None:
        backoff = 0.5
        while True:
            try:
                await fixtures.prepare(client, self.settings)
            except (fixtures.FixtureError, httpx.HTTPError) as exc:
                log.warning("probe fixtures not ready yet: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_FIXTURE_BACKOFF_S)
                continue
            self.prepared.set()
            log.info("probe fixtures ready; running %s", ", ".join(self.journeys))
            return

    async def _repeat(self, journey: Journey, client: httpx.AsyncClient) -> None:
        while True:
            started = time.monotonic()
            result = await run_journey(journey, client, fixtures.variables(self.settings))
            self.metrics.record(result)
            self.last[journey.name] = (time.time(), result)
            failure = result.failure
            if failure is None:
                log.info("journey %s passed in %.3fs", journey.name, result.seconds)
            else:
                log.warning(
                    "journey %s failed at %s (%s): %s",
                    journey.name,
                    failure.name,
                    failure.reason,
                    failure.detail,
                )
            interval = self.settings.interval(journey.interval_seconds)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    def status(self) -> dict[str, Any]:
        journeys = {}
        for name, journey in self.journeys.items():
            entry: dict[str, Any] = {
                "interval_seconds": self.settings.interval(journey.interval_seconds)
            }
            if name in self.last:
                at, result = self.last[name]
                failure = result.failure
                entry["last_run"] = {
                    "at": at,
                    "ok": result.ok,
                    "seconds": round(result.seconds, 4),
                    "failed_step": failure.name if failure else None,
                    "reason": failure.reason if failure else None,
                    "detail": failure.detail if failure else None,
                }
            journeys[name] = entry
        return {"prepared": self.prepared.is_set(), "journeys": journeys}


def create_app(runner: ProbeRunner) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(runner.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="probe-runner", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(response: Response) -> dict[str, Any]:
        if not runner.prepared.is_set():
            response.status_code = 503
            return {"status": "preparing probe customer and product"}
        return {"status": "ok"}

    @app.get("/journeys")
    async def journeys() -> dict[str, Any]:
        return runner.status()

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(runner.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m synthetic_probes",
        description="Run the synthetic probe journeys on their intervals and serve metrics.",
    )
    parser.parse_args(argv)
    try:
        settings = ProbeSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PROBES_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        print(f"error: invalid setting {name}: {first['msg']}", file=sys.stderr)
        return 2
    try:
        journeys = select(load_journeys(settings.journeys_dir), settings.selected())
    except JourneyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging("probe-runner", settings.log_level)
    disable_created_metrics()  # the *_created series only add noise to every scrape
    uvicorn.run(
        create_app(ProbeRunner(settings, journeys)),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def select(journeys: dict[str, Journey], names: list[str]) -> dict[str, Journey]:
    unknown = [name for name in names if name not in journeys]
    if unknown:
        known = ", ".join(journeys) or "none"
        raise JourneyError(f"PROBES_JOURNEYS: unknown journey {unknown[0]!r} (known: {known})")
    return {name: journeys[name] for name in names} if names else journeys
