"""`harness generate`: specs and dashboard sources -> every generated file, as text.

`generate_all` is pure (path -> content); `write` and `stale` compare it with the tree.
Generated folders belong to the generator: files there that it no longer produces are
removed on write and reported by --check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from alerts.alertmanager import alertmanager_config
from alerts.symptoms import COMPONENTS, symptom_rules
from alerts.unit_tests import unit_test_document
from dashboards.build import build_dashboards
from slo.model import SLO, load_specs
from slo.profiles import DEFAULT, PROFILES, Profile
from slo.render import to_yaml
from slo.rules import rule_groups

REPO_ROOT = Path(__file__).resolve().parent.parent
SPECS = Path("slo/specs")
HELM_RULES = Path("helm/commerce-platform/files/prometheus-rules")
HELM_DASHBOARDS = Path("helm/commerce-platform/files/dashboards")
DASHBOARDS_OUT = Path("dashboards/generated")
GENERATED_DIRS = (
    Path("slo/generated"),
    Path("alerts/generated"),
    DASHBOARDS_OUT,
    HELM_RULES,
    HELM_DASHBOARDS,
)
GENERATED_SUFFIXES = (".yaml", ".yml", ".json")


def _subdir(base: str, profile: Profile) -> Path:
    return Path(base) if profile is DEFAULT else Path(base) / profile.name


def recording_rules_path(service: str, profile: Profile) -> Path:
    return _subdir("slo/generated", profile) / f"{service}.rules.yaml"


def slo_alerts_path(service: str, profile: Profile) -> Path:
    return _subdir("alerts/generated", profile) / f"{service}.slo-alerts.yaml"


def symptoms_path(profile: Profile) -> Path:
    return _subdir("alerts/generated", profile) / "symptoms.alerts.yaml"


def alertmanager_path(profile: str = "default", root: Path = REPO_ROOT) -> Path:
    """The Alertmanager config of a profile (its webhook URL is the default one)."""
    return root / _subdir("alerts/generated", PROFILES[profile]) / "alertmanager.yml"


def unit_test_path(slo: SLO, profile: Profile) -> Path:
    return _subdir("alerts/generated", profile) / "tests" / f"{slo.slug}.test.yaml"


def _by_service(slos: list[SLO]) -> list[tuple[str, list[SLO]]]:
    return [(service, list(items)) for service, items in groupby(slos, key=lambda s: s.service)]


def _source(root: Path, slos: Iterable[SLO]) -> str:
    """Spec files relative to the root, so headers are the same in every checkout."""
    names = {Path(slo.source).resolve().relative_to(root.resolve()).as_posix() for slo in slos}
    return ", ".join(sorted(names))


def _profile_files(root: Path, slos: list[SLO], profile: Profile) -> dict[Path, str]:
    files: dict[Path, str] = {}
    for service, items in _by_service(slos):
        source = _source(root, items)
        groups = [rule_groups(slo, profile) for slo in items]
        files[recording_rules_path(service, profile)] = to_yaml(
            {"groups": [g.recording for g in groups]}, source
        )
        files[slo_alerts_path(service, profile)] = to_yaml(
            {"groups": [g.alerting for g in groups]}, source
        )
        for slo in items:
            test_dir = unit_test_path(slo, profile).parent
            rule_files = [
                os.path.relpath(recording_rules_path(service, profile), test_dir),
                os.path.relpath(slo_alerts_path(service, profile), test_dir),
            ]
            files[unit_test_path(slo, profile)] = to_yaml(
                unit_test_document(slo, profile, rule_files), _source(root, [slo])
            )
    files[symptoms_path(profile)] = to_yaml(
        {"groups": [symptom_rules(profile)]}, "alerts/symptoms.py"
    )
    services = {slo.service for slo in slos} | set(COMPONENTS)
    files[Path(alertmanager_path(profile.name, Path(".")))] = to_yaml(
        alertmanager_config(services, profile.name), "alerts/alertmanager.py"
    )
    return files


def generate_all(root: Path = REPO_ROOT) -> dict[Path, str]:
    """Every generated file, keyed by its path relative to `root`."""
    slos = load_specs(root / SPECS)
    files: dict[Path, str] = {}
    for profile in PROFILES.values():
        files.update(_profile_files(root, slos, profile))
    # The chart ships the default profile's Prometheus rules, byte for byte.
    for path in rule_files("default", files):
        files[HELM_RULES / path.name] = files[path]
    for name, text in build_dashboards(root / "dashboards").items():
        files[DASHBOARDS_OUT / name] = text
        files[HELM_DASHBOARDS / name] = text
    return files


def rule_files(
    profile: str, files: Iterable[Path] | None = None, root: Path = REPO_ROOT
) -> list[Path]:
    """Prometheus rule files of a profile ("default" or "game"), relative paths when
    `files` is given, else absolute under `root`."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    paths = list(files) if files is not None else list(generate_all(root))
    wanted = {
        _subdir("slo/generated", PROFILES[profile]),
        _subdir("alerts/generated", PROFILES[profile]),
    }
    chosen = sorted(p for p in paths if p.parent in wanted and p.name.endswith(".yaml"))
    return chosen if files is not None else [root / p for p in chosen]


def stale(root: Path = REPO_ROOT, files: dict[Path, str] | None = None) -> list[str]:
    """Files a regeneration would change, add or delete, as readable lines."""
    files = generate_all(root) if files is None else files
    changes = []
    for path, text in sorted(files.items()):
        target = root / path
        if not target.exists():
            changes.append(f"missing: {path}")
        elif target.read_text(encoding="utf-8") != text:
            changes.append(f"changed: {path}")
    changes.extend(f"extra: {path}" for path in _extra_files(root, files))
    return changes


def _extra_files(root: Path, files: dict[Path, str]) -> list[Path]:
    extra = []
    for directory in GENERATED_DIRS:
        for path in sorted((root / directory).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and path.suffix in GENERATED_SUFFIXES and relative not in files:
                extra.append(relative)
    return extra


def write(root: Path = REPO_ROOT) -> list[str]:
    """Regenerate into `root`; returns the change lines (empty when nothing changed)."""
    files = generate_all(root)
    changes = stale(root, files)
    for path, text in files.items():
        target = root / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    for path in _extra_files(root, files):
        (root / path).unlink()
    return changes
