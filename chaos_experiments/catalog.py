"""The experiments shipped in this folder: find, load, validate, read their metadata.

Metadata the game day scores with lives in the experiment's ``extensions`` entry named
``harness``: ``expected_alerts`` (alert names from alerts/generated/) and
``max_recovery_seconds``.
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
class Metadata:
    expected_alerts: tuple[str, ...]
    max_recovery_seconds: float


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
    return Metadata(tuple(alerts), float(recovery))


def _quietly(check: Any, experiment: dict[str, Any]) -> None:
    """chaoslib logs every validation step at INFO; keep that out of our output."""
    logger = logging.getLogger("chaostoolkit")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        check(experiment)
    finally:
        logger.setLevel(level)
