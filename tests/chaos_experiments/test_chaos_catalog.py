"""The extension's discovery and every shipped experiment's validity and metadata
(no platform needed: chaoslib validation imports the extensions, not a cluster)."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from chaoslib.discovery.package import get_discover_function

from chaos_experiments import catalog
from chaos_experiments.extension import actions, probes
from harness.cli import main
from reports.scoring import SPECS_DIR
from slo.model import load_specs
from slo.rules import alert_name

ROOT = Path(__file__).resolve().parents[2]
LOCAL = catalog.experiment_files("local")
KUBERNETES = catalog.experiment_files("kubernetes")


def generated_alert_names() -> set[str]:
    names = set()
    for path in (ROOT / "alerts" / "generated").glob("*.yaml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["alert"] for rule in group["rules"] if "alert" in rule}
    return names


def test_chaos_discovery_lists_every_exported_function_with_types() -> None:
    extension = importlib.import_module("chaos_experiments.extension")
    discovery = get_discover_function(extension)(discover_system=False)
    found = {(a["type"], a["name"]) for a in discovery["activities"]}
    expected = {("action", n) for n in actions.__all__} | {("probe", n) for n in probes.__all__}
    assert found == expected
    for activity in discovery["activities"]:
        arguments = [a["name"] for a in activity["arguments"]]
        assert arguments[-2:] == ["configuration", "secrets"], activity["name"]
        typed = [a for a in activity["arguments"] if a["name"] not in ("configuration", "secrets")]
        assert all(a["type"] != "object" for a in typed), activity["name"]


def test_chaos_extension_functions_are_documented_and_typed() -> None:
    for module in (actions, probes):
        for name in module.__all__:
            function = getattr(module, name)
            assert inspect.getdoc(function), f"{module.__name__}.{name} has no docstring"
            assert inspect.signature(function).return_annotation is not inspect.Signature.empty


def test_chaos_shipped_experiments_cover_the_required_faults() -> None:
    names = {catalog.experiment_name(p) for p in LOCAL}
    required = {
        "kill-gateway", "kill-user-service", "kill-product-service", "kill-order-service",
        "kill-payment-service", "product-latency", "payment-provider-outage",
        "database-restart", "broker-outage", "gateway-pause",
    }  # fmt: skip
    assert required <= names
    assert len(KUBERNETES) >= 3


@pytest.mark.parametrize("path", LOCAL + KUBERNETES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chaos_experiment_is_valid_with_known_alerts(path: Path) -> None:
    experiment = catalog.load(path)
    meta = catalog.metadata(experiment, path)
    unknown = set(meta.expected_alerts) - generated_alert_names()
    assert not unknown, f"not in alerts/generated: {unknown}"
    # Only faults that last can be detected; a kill the supervisor heals pages nobody.
    assert meta.expected_alerts or "kill" in experiment["tags"]
    assert experiment["steady-state-hypothesis"]["probes"]
    assert experiment["rollbacks"] or path.parent.name == "kubernetes"
    providers = [p["provider"] for p in experiment["steady-state-hypothesis"]["probes"]]
    assert any(p["type"] == "http" and "${gateway_url}" in p["url"] for p in providers)
    assert any(p.get("module") == "chaosprometheus.probes" for p in providers)


@pytest.mark.parametrize("path", LOCAL + KUBERNETES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chaos_experiment_declares_its_blast_radius_in_known_slos(path: Path) -> None:
    meta = catalog.metadata(catalog.load(path), path)
    known = {f"{slo.service}/{slo.name}" for slo in load_specs(SPECS_DIR)}
    assert set(meta.impact) <= known, f"unknown SLOs in impact: {set(meta.impact) - known}"
    # An alert it expects belongs to an SLO it may burn, or is a symptom alert.
    burn_alerts = {alert_name(slo): f"{slo.service}/{slo.name}" for slo in load_specs(SPECS_DIR)}
    for alert in meta.expected_alerts:
        if alert in burn_alerts:
            assert burn_alerts[alert] in meta.impact, f"{alert} expected but not in impact"


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_chaos_local_experiment_confirms_its_fault_with_a_query(path: Path) -> None:
    meta = catalog.metadata(catalog.load(path), path)
    assert meta.confirmation is not None
    assert "{window}" in meta.confirmation.query and meta.confirmation.description


@pytest.mark.parametrize(
    ("extension", "message"),
    [
        ({"expected_alerts": [], "max_recovery_seconds": 5}, "impact: a list of SLOs"),
        ({"impact": ["browse"], "expected_alerts": [], "max_recovery_seconds": 5}, "service/name"),
        (
            {"impact": [], "expected_alerts": [], "max_recovery_seconds": 5,
             "confirmation": {"query": "up", "description": "d"}},
            "uses {window}",
        ),
    ],
)  # fmt: skip
def test_chaos_harness_extension_errors_name_the_field(extension: dict, message: str) -> None:
    experiment = {"extensions": [{"name": "harness", **extension}]}
    with pytest.raises(catalog.ExperimentError, match=re.escape(message)):
        catalog.metadata(experiment, Path("x.yaml"))


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_chaos_local_experiment_has_no_hard_coded_address(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"127\.0\.0\.1|localhost|:\d{4,5}\b", text)


def test_chaos_toolkit_cli_validates_kubernetes_experiments() -> None:
    """`chaos validate` itself, as a user would run it; no cluster needed."""
    for path in KUBERNETES:
        completed = subprocess.run(
            [str(Path(sys.executable).parent / "chaos"), "--no-log-file", "validate", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "look valid" in completed.stdout + completed.stderr


def test_chaos_cli_validate_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", "validate"]) == 0
    assert capsys.readouterr().out.count("valid: ") == len(LOCAL)
    assert main(["chaos", "list", "--target", "kubernetes"]) == 0
    assert "terminate-order-service-pods" in capsys.readouterr().out


def test_chaos_cli_names_a_broken_experiment_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: no method\ndescription: d\nextensions: [{name: harness}]\n")
    assert main(["chaos", "validate", str(broken)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(broken) in err and "method" in err

    unknown = main(["chaos", "validate", "no-such-experiment"])
    err = capsys.readouterr().err.strip()
    assert unknown == 2 and err.startswith("harness chaos: error: no experiment 'no-such")


def test_chaos_metadata_errors_name_the_field(tmp_path: Path) -> None:
    source = yaml.safe_load(LOCAL[0].read_text())
    source["extensions"] = [{"name": "harness", "expected_alerts": "TargetDown"}]
    path = tmp_path / "bad-metadata.yaml"
    path.write_text(yaml.safe_dump(source))
    with pytest.raises(catalog.ExperimentError, match="expected_alerts"):
        catalog.load(path)
