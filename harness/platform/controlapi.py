"""The control API, the harness' own metrics and the alert receiver, on one local port.

``/api/*`` needs ``Authorization: Bearer <token>`` (the token is in the run directory's
``control.json``, readable only by its owner). ``/metrics`` and ``/alerts`` are open
to local scrapers and Alertmanager.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from harness.platform.supervisor import Supervisor

ACTIONS = ("kill", "stop", "start", "pause", "resume")


class ComponentCollector(Collector):
    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "harness_component_up", "1 when the component runs and is ready", labels=["component"]
        )
        restarts = CounterMetricFamily(
            "harness_component_restarts",
            "Restarts by the supervisor's restart policy",
            labels=["component"],
        )
        for status in self.supervisor.snapshot():
            up.add_metric([status["name"]], 1.0 if status["ready"] else 0.0)
            restarts.add_metric([status["name"]], float(status["restarts"]))
        yield up
        yield restarts


class ChaosCollector(Collector):
    """``harness_chaos_active{experiment}``: set by the chaos runner while a fault is on."""

    def __init__(self) -> None:
        self.active: dict[str, bool] = {}

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "harness_chaos_active",
            "1 while the chaos experiment's fault is injected",
            labels=["experiment"],
        )
        for experiment, active in self.active.items():
            gauge.add_metric([experiment], 1.0 if active else 0.0)
        yield gauge


def build_app(supervisor: Supervisor) -> FastAPI:
    from harness.platform.supervisor import ActionError

    app = FastAPI(title="harness control API", docs_url=None, redoc_url=None)
    registry = CollectorRegistry()
    registry.register(ComponentCollector(supervisor))
    chaos = ChaosCollector()
    registry.register(chaos)

    def authorized(authorization: str = Header(default="")) -> None:
        expected = f"Bearer {supervisor.token}"
        if not hmac.compare_digest(authorization.encode(), expected.encode()):
            raise HTTPException(401, "missing or wrong bearer token")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/alerts")
    async def receive_alerts(request: Request) -> dict[str, int]:
        return {"recorded": supervisor.alerts.record(await request.json())}

    @app.get("/api/alerts", dependencies=[Depends(authorized)])
    async def list_alerts() -> list[dict[str, Any]]:
        return supervisor.alerts.records

    @app.get("/api/components", dependencies=[Depends(authorized)])
    async def list_components() -> list[dict[str, Any]]:
        return supervisor.snapshot()

    @app.post("/api/components/{name}/{action}", dependencies=[Depends(authorized)])
    async def act(name: str, action: str) -> dict[str, Any]:
        if action not in ACTIONS:
            raise HTTPException(404, f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        if name not in supervisor.runtimes:
            raise HTTPException(404, f"unknown component {name!r}")
        try:
            return await supervisor.act(name, action)
        except ActionError as exc:
            raise HTTPException(409, str(exc)) from exc

    @app.post("/api/chaos/{experiment}/active", dependencies=[Depends(authorized)])
    async def set_chaos_active(experiment: str, request: Request) -> dict[str, bool]:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
            raise HTTPException(422, 'body must be {"active": true|false}')
        chaos.active[experiment] = body["active"]
        return {"active": body["active"]}

    return app
