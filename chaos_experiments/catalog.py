"""The experiments shipped in this folder: find, load, validate, read their metadata.

Metadata the game day scores with lives in the experiment's ``extensions`` entry named
``harness``:

- ``impact``: the SLOs (``service/name``) its fault may burn. Every other SLO is judged
  through the fault as in the steady state: burning one is a failure (blast radius);
- ``expected_alerts``: alert names (alerts/generated/) that must notify;
- ``max_recovery_seconds``: the bound on the recovery of the SLOs the fault hits;
- ``confirmation``: how to see that the fault took effect: a PromQL ``query`` with a
  ``{window}`` placeholder (the fault window) whose value is above 0 when it did, and a
  ``description``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaoslib.exceptions import ChaosException
from chaoslib.experiment import ensure_experiment_is_valid
from chaoslib.loader import load_experiment

ROOT = Path(__file__).resolve().parent
TARGETS = ("local", "kubernetes")
SUFFIXES = (".yaml", ".yml", ".json")
EXTENSION_NAME = "harness"


class ExperimentError(Exception):
    """An experiment that cannot be found, read or validated; the message names it."""


@dataclass(frozen=True)
class Confirmation:
    query: str
    description: str


@dataclass(frozen=True)
class Metadata:
    expected_alerts: tuple[str, ...]
    max_recovery_seconds: float
    impact: tuple[str, ...] = ()
    confirmation: Confirmation | None = None


def experiment_files(target: str = "local") -> list[Path]:
    return sorted(p for p in (ROOT / target).iterdir() if p.suffix in SUFFIXES)


def experiment_name(path: Path) -> str:
    return path.stem


def resolve(name_or_path: str, target: str = "local") -> Path:
    """An experiment by name (``kill-order-service``) or by path."""
    path = Path(name_or_path)
    if path.suffix in SUFFIXES and path.exists():
        return path
    for candidate in experiment_files(target):
        if experiment_name(candidate) == name_or_path:
            return candidate
    known = ", ".join(experiment_name(p) for p in experiment_files(target))
    raise ExperimentError(f"no experiment {name_or_path!r} in {target}/ (known: {known})")


def load(path: Path) -> dict[str, Any]:
    """Read and validate an experiment with chaoslib, plus its harness metadata."""
    try:
        experiment: dict[str, Any] = load_experiment(str(path))
        _quietly(ensure_experiment_is_valid, experiment)
    except ChaosException as exc:
        raise ExperimentError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ExperimentError(f"{path}: {exc.strerror or exc}") from exc
    metadata(experiment, path)
    return experiment


def metadata(experiment: dict[str, Any], path: Path) -> Metadata:
    for extension in experiment.get("extensions") or []:
        if extension.get("name") == EXTENSION_NAME:
            break
    else:
        raise ExperimentError(f"{path}: no extensions entry named {EXTENSION_NAME!r}")
    alerts = extension.get("expected_alerts")
    if not isinstance(alerts, list) or not all(isinstance(a, str) and a for a in alerts):
        raise ExperimentError(f"{path}: extensions.harness.expected_alerts: a list of names")
    recovery = extension.get("max_recovery_seconds")
    if isinstance(recovery, bool) or not isinstance(recovery, int | float) or recovery <= 0:
        raise ExperimentError(f"{path}: extensions.harness.max_recovery_seconds: a number > 0")
    impact = extension.get("impact")
    if not isinstance(impact, list) or not all(
        isinstance(slug, str) and slug.count("/") == 1 for slug in impact
    ):
        raise ExperimentError(
            f"{path}: extensions.harness.impact: a list of SLOs as service/name "
            "(an empty list when the fault must burn no SLO)"
        )
    return Metadata(tuple(alerts), float(recovery), tuple(impact), _confirmation(extension, path))


def _confirmation(extension: dict[str, Any], path: Path) -> Confirmation | None:
    found = extension.get("confirmation")
    if found is None:
        return None
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("query"), str)
        or "{window}" not in found["query"]
        or not isinstance(found.get("description"), str)
    ):
        raise ExperimentError(
            f"{path}: extensions.harness.confirmation: a mapping with a PromQL 'query' that "
            "uses {window} and a 'description'"
        )
    return Confirmation(found["query"], found["description"])


def _quietly(check: Any, experiment: dict[str, Any]) -> None:
    """chaoslib logs every validation step at INFO; keep that out of our output."""
    logger = logging.getLogger("chaostoolkit")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        check(experiment)
    finally:
        logger.setLevel(level)
