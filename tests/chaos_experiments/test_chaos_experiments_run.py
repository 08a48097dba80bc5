"""Every local experiment, end to end against the shared real platform.

Each run must complete with its steady state met before and after, its rollback
applied, the chaos gauge raised during the fault and lowered afterwards, and leave the
platform as it found it: every component ready and no fault rule left anywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from chaos_experiments import catalog, runner
from chaos_experiments.extension.probes import wait_until_recovered
from harness.platform.control import ControlClient
from harness.platform.supervisor import Platform
from harness.platform.topology import SERVICES

# Starts servers. A group of their own: the experiments run on one worker's session
# platform while the other shared-platform tests run on another's.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("chaos-platform")]

LOCAL = [catalog.experiment_name(p) for p in catalog.experiment_files("local")]


@pytest.fixture(scope="module")
def endpoints(local_platform: Platform) -> runner.PlatformEndpoints:
    """The shared platform, settled: other tests may just have killed something."""
    found = runner.PlatformEndpoints.from_run_dir(local_platform.run_dir)
    wait_until_recovered(90, configuration=found.configuration())
    return found


@pytest.fixture
def gauge_changes(
    endpoints: runner.PlatformEndpoints, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[str, bool, float]]]:
    """Record every gauge switch and, when it goes to 1, what /metrics shows right then."""
    changes: list[tuple[str, bool, float]] = []
    original = runner.PlatformEndpoints.set_chaos_active

    def recording(self: runner.PlatformEndpoints, experiment: str, active: bool) -> None:
        original(self, experiment, active)
        changes.append((experiment, active, chaos_gauge(self, experiment)))

    monkeypatch.setattr(runner.PlatformEndpoints, "set_chaos_active", recording)
    yield changes


def chaos_gauge(endpoints: runner.PlatformEndpoints, experiment: str) -> float:
    text = httpx.get(f"{endpoints.control_url}/metrics", timeout=5).text
    match = re.search(
        rf'^harness_chaos_active\{{experiment="{re.escape(experiment)}"\}} (\S+)$', text, re.M
    )
    assert match, f"harness_chaos_active for {experiment} not exported"
    return float(match.group(1))


def assert_platform_restored(control: ControlClient, endpoints: runner.PlatformEndpoints) -> None:
    not_ready = [c["name"] for c in control.list() if not c["ready"]]
    assert not not_ready, f"not ready after the rollback: {not_ready}"
    topology = json.loads((endpoints.run_dir / "topology.json").read_text())
    ports = {c["name"]: c["port"] for c in topology["components"]}
    for service in SERVICES:
        response = httpx.get(
            f"http://127.0.0.1:{ports[service]}/admin/faults",
            headers={"X-Admin-Token": "dev-admin-token"},
            timeout=5,
        )
        assert response.json()["rules"] == [], f"{service} still has faults"
    behaviour = httpx.get(
        f"http://127.0.0.1:{ports['payment-provider']}/admin/behaviour",
        headers={"X-Admin-Token": "dev-admin-token"},
        timeout=5,
    ).json()
    assert behaviour["decline_rate"] == 0.0


@pytest.mark.parametrize("name", LOCAL)
def test_chaos_experiment_runs_and_rolls_back(
    name: str,
    endpoints: runner.PlatformEndpoints,
    control: ControlClient,
    gauge_changes: list[tuple[str, bool, float]],
) -> None:
    result = runner.run(name, endpoints)

    failures = f"{result.failed_activities}; journal {result.journal_path}"
    assert result.status == "completed", failures
    assert result.steady_state_before is True, failures
    assert result.steady_state_after is True, failures
    assert result.rollbacks_succeeded
    assert result.succeeded
    assert result.fault_started_at is not None and result.fault_ended_at is not None
    assert result.started_at < result.fault_started_at < result.fault_ended_at < result.ended_at
    assert result.max_recovery_seconds > 0
    assert result.expected_alerts or name.startswith("kill-")  # kills heal before any alert

    # Gauge: 0 before, 1 while the fault is on, 0 after.
    assert [(active, value) for _, active, value in gauge_changes] == [
        (False, 0.0),
        (True, 1.0),
        (False, 0.0),
    ]
    assert chaos_gauge(endpoints, name) == 0.0

    journal = json.loads(result.journal_path.read_text())
    assert result.journal_path.parent == endpoints.run_dir / "chaos"
    assert journal["status"] == "completed"
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["restore-platform"]
    assert_platform_restored(control, endpoints)
