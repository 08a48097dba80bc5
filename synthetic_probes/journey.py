"""The journey format: steps with a request, assertions, captures and optional polling.

A journey is read from YAML into these models; any mistake is reported as one line
naming the file and the field (``JourneyError``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.yaml_files import load_model
from synthetic_probes import jsonpath

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,40}$"
TOTAL_STEP = "total"  # the step label of a whole run's duration


class JourneyError(Exception):
    """A journey file that cannot be used: the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RequestSpec(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(pattern=r"^/")
    params: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(default=None, alias="json")


class Expect(_Strict):
    """What a response must satisfy. ``json`` maps a JSON path to an expected value,
    or to ``{one_of: [...]}`` / ``{exists: true|false}``."""

    status: int | list[int] = 200
    json_paths: dict[str, Any] = Field(default_factory=dict, alias="json")
    max_seconds: float | None = Field(default=None, gt=0)

    def statuses(self) -> list[int]:
        return [self.status] if isinstance(self.status, int) else self.status


class Until(_Strict):
    """Repeat the request until every JSON path has one of its listed values."""

    json_paths: dict[str, list[Any]] = Field(alias="json", min_length=1)
    within_seconds: float = Field(gt=0)
    every_seconds: float = Field(default=0.5, gt=0)


class Step(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    request: RequestSpec
    expect: Expect = Field(default_factory=Expect)
    capture: dict[str, str] = Field(default_factory=dict)  # variable -> JSON path
    until: Until | None = None
    # Clean-up steps only: run always, or only after a failed run.
    when: Literal["always", "failure"] = "always"


class Journey(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    interval_seconds: float = Field(default=30.0, gt=0)
    timeout_seconds: float = Field(default=20.0, gt=0)
    variables: dict[str, str] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    # Clean-up steps always run after the steps; one that needs a variable the run
    # never captured is skipped.
    cleanup: list[Step] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_step_names(self) -> Journey:
        names = [step.name for step in [*self.steps, *self.cleanup]]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"step names must be unique (repeated: {', '.join(duplicates)})")
        if TOTAL_STEP in names:
            raise ValueError(f"step name {TOTAL_STEP!r} is reserved for the whole journey")
        for step in self.steps:
            if step.when != "always":
                raise ValueError(f"step {step.name!r}: 'when' applies to clean-up steps only")
        for step in [*self.steps, *self.cleanup]:
            paths = [*step.expect.json_paths, *step.capture.values()]
            paths += list(step.until.json_paths) if step.until else []
            for path in paths:
                try:
                    jsonpath.parse(path)
                except jsonpath.PathError as exc:
                    raise ValueError(f"step {step.name!r}: {exc}") from None
        return self


def load_journey(path: Path) -> Journey:
    journey = load_model(
        path, Journey, JourneyError, not_mapping="expected a mapping with name and steps"
    )
    if journey.name != path.stem:
        raise JourneyError(f"{path}: name {journey.name!r} must match the file name")
    return journey


def load_journeys(directory: Path) -> dict[str, Journey]:
    """Every ``*.yaml`` journey in a directory, by name."""
    if not directory.is_dir():
        raise JourneyError(f"{directory}: no such journeys directory")
    return {path.stem: load_journey(path) for path in sorted(directory.glob("*.yaml"))}
