"""Rollbacks run whatever happens: a failing method, Ctrl-C, an aborting safeguard, and
a Ctrl-C during the rollbacks themselves (held until they finish). Each experiment
injects a real fault into the shared platform, so a skipped rollback shows as a fault
rule left on the product service."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from chaos_experiments import runner
from chaos_experiments.extension.probes import wait_until_recovered
from harness.platform.supervisor import Platform

pytestmark = pytest.mark.slow  # starts servers

EXTENSION = "chaos_experiments.extension"
SIGINT_SELF = {"type": "process", "path": "kill", "arguments": f"-INT {os.getpid()}"}


def python(module: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "python",
        "module": f"{EXTENSION}.{module}",
        "func": func,
        "arguments": arguments,
    }


INJECT = {
    "type": "action",
    "name": "slow-down-products",
    "provider": python(
        "actions", "inject_route_fault", service="product-service", route="/products*",
        latency_ms=50, expires_in_s=120,
    ),
}  # fmt: skip
RESTORE = {
    "type": "action",
    "name": "restore-platform",
    "provider": python("actions", "restore_platform"),
}


def experiment(tmp_path: Path, name: str, method: list[Any], **extra: Any) -> str:
    document = {
        "title": name,
        "description": "rollback check",
        "method": method,
        "rollbacks": extra.pop("rollbacks", [RESTORE]),
        "extensions": [
            {
                "name": "harness",
                "impact": [],
                "expected_alerts": ["TargetDown"],
                "max_recovery_seconds": 30,
            }
        ],
        **extra,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


@pytest.fixture(scope="module")
def endpoints(local_platform: Platform) -> runner.PlatformEndpoints:
    found = runner.PlatformEndpoints.from_run_dir(local_platform.run_dir)
    wait_until_recovered(90, configuration=found.configuration())
    return found


def product_faults(local_platform: Platform) -> list[Any]:
    response = httpx.get(
        local_platform.url("product-service") + "/admin/faults",
        headers={"X-Admin-Token": "dev-admin-token"},
        timeout=5,
    )
    rules: list[Any] = response.json()["rules"]
    return rules


def test_chaos_failing_method_still_rolls_back(
    tmp_path: Path, endpoints: runner.PlatformEndpoints, local_platform: Platform
) -> None:
    failing = {
        "type": "action",
        "name": "kill-a-component-that-does-not-exist",
        "provider": python("actions", "kill_component", name="no-such-component"),
    }
    result = runner.run(experiment(tmp_path, "failing-method", [INJECT, failing]), endpoints)

    (failure,) = result.failed_activities
    assert failure.startswith("kill-a-component-that-does-not-exist: "), failure
    assert "no-such-component" in failure  # why it failed, from the activity's exception
    journal = json.loads(result.journal_path.read_text())
    assert journal["failed_activities"] == result.failed_activities
    assert not result.succeeded
    assert result.rollbacks_succeeded
    assert result.fault_started_at is not None and result.fault_ended_at is not None
    assert product_faults(local_platform) == []


def test_chaos_ctrl_c_in_the_method_still_rolls_back(
    tmp_path: Path, endpoints: runner.PlatformEndpoints, local_platform: Platform
) -> None:
    interrupt = {"type": "action", "name": "ctrl-c", "provider": SIGINT_SELF}
    with pytest.raises(runner.ChaosInterrupted) as stopped:  # the caller must stop too
        runner.run(experiment(tmp_path, "ctrl-c", [INJECT, interrupt]), endpoints)

    result = stopped.value.result
    assert result.status == "interrupted"
    assert result.rollbacks_succeeded
    assert product_faults(local_platform) == []


def test_chaos_ctrl_c_during_rollbacks_waits_for_them(
    tmp_path: Path, endpoints: runner.PlatformEndpoints, local_platform: Platform
) -> None:
    rollbacks = [{"type": "action", "name": "ctrl-c", "provider": SIGINT_SELF}, RESTORE]
    path = experiment(tmp_path, "ctrl-c-in-rollbacks", [INJECT], rollbacks=rollbacks)

    with pytest.raises(KeyboardInterrupt):
        runner.run(path, endpoints)
    assert product_faults(local_platform) == []


def test_chaos_aborting_safeguard_still_rolls_back(
    tmp_path: Path, endpoints: runner.PlatformEndpoints, local_platform: Platform
) -> None:
    no_product_fault = {
        "name": "product-service-has-no-fault",
        "type": "probe",
        "frequency": 1,
        "tolerance": {"type": "jsonpath", "path": "$[*]", "count": 0},
        "provider": python("probes", "route_faults", service="product-service"),
    }
    safeguard = {
        "name": "safeguard",
        "provider": {
            "type": "python",
            "module": "chaosaddons.controls.safeguards",
            "arguments": {"probes": [no_product_fault]},
        },
    }
    hold = {
        "type": "probe",
        "name": "hold-the-fault",
        "provider": python("probes", "all_components_ready"),
        "pauses": {"after": 20},
    }
    path = experiment(tmp_path, "safeguard", [INJECT, hold], controls=[safeguard])
    result = runner.run(path, endpoints)

    assert result.status == "interrupted"
    assert result.ended_at - result.started_at < 15, "the safeguard did not cut the pause short"
    assert result.rollbacks_succeeded
    assert product_faults(local_platform) == []
