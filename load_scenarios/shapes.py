"""Load shapes as plain data: a list of stages, each holding a user count until a time.

Locust's ``LoadTestShape`` in the locustfile only asks ``tick(run_time)``; keeping the
shape logic here lets it be tested (and reused) without importing Locust.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    until_s: float  # this stage lasts until this many seconds into the run
    users: int
    spawn_rate: float  # users started (or stopped) per second to reach ``users``


@dataclass(frozen=True)
class StagedShape:
    name: str
    stages: tuple[Stage, ...]

    @property
    def duration_s(self) -> float:
        return self.stages[-1].until_s

    def tick(self, run_time: float) -> tuple[int, float] | None:
        """(users, spawn rate) at ``run_time`` seconds, or None once the run is over."""
        for stage in self.stages:
            if run_time < stage.until_s:
                return stage.users, stage.spawn_rate
        return None

    @property
    def peak_users(self) -> int:
        return max(stage.users for stage in self.stages)


@dataclass(frozen=True)
class ShapeParams:
    users: int  # the steady level (ramp: the level it climbs to)
    duration_s: float
    peak_users: int | None = None  # spike only; default 4x users
    spawn_rate: float | None = None  # default: reach the level within about 5 seconds


def _rate(users: int, params: ShapeParams) -> float:
    return params.spawn_rate or max(1.0, users / 5)


def steady(params: ShapeParams) -> tuple[Stage, ...]:
    return (Stage(params.duration_s, params.users, _rate(params.users, params)),)


def ramp(params: ShapeParams, steps: int = 5, hold_fraction: float = 0.2) -> tuple[Stage, ...]:
    """Climb to ``users`` in equal stairs over the first 80%, then hold."""
    steps = max(1, min(steps, params.users))
    climb = params.duration_s * (1 - hold_fraction)
    stages = []
    for step in range(1, steps + 1):
        users = math.ceil(params.users * step / steps)
        until = climb * step / steps if step < steps else params.duration_s
        stages.append(Stage(until, users, _rate(users, params)))
    return tuple(stages)


def spike(params: ShapeParams, start: float = 0.4, length: float = 0.2) -> tuple[Stage, ...]:
    """Base load, a sudden burst to ``peak_users`` (within a second), then base load again."""
    peak = params.peak_users or params.users * 4
    if peak <= params.users:
        raise ValueError(f"spike peak users ({peak}) must exceed the base users ({params.users})")
    base_rate = _rate(params.users, params)
    burst_at = params.duration_s * start
    return (
        Stage(burst_at, params.users, base_rate),
        Stage(burst_at + params.duration_s * length, peak, float(peak)),
        Stage(params.duration_s, params.users, float(peak)),
    )


def soak(params: ShapeParams) -> tuple[Stage, ...]:
    """A gentle warm-up (10% of the run, at most a minute), then a long constant level."""
    warmup = min(60.0, params.duration_s * 0.1)
    rate = params.spawn_rate or max(0.1, params.users / max(warmup, 1.0))
    return (
        Stage(warmup, params.users, rate),
        Stage(params.duration_s, params.users, rate),
    )


SHAPES: dict[str, Callable[[ShapeParams], tuple[Stage, ...]]] = {
    "steady": steady,
    "ramp": ramp,
    "spike": spike,
    "soak": soak,
}


def build(name: str, params: ShapeParams) -> StagedShape:
    """The named shape; ValueError names the bad parameter."""
    if name not in SHAPES:
        raise ValueError(f"unknown shape {name!r} (known: {', '.join(SHAPES)})")
    if params.users < 1:
        raise ValueError(f"users must be at least 1, not {params.users}")
    if params.duration_s <= 0:
        raise ValueError(f"duration must be positive, not {params.duration_s:g}s")
    if params.spawn_rate is not None and params.spawn_rate <= 0:
        raise ValueError(f"spawn rate must be positive, not {params.spawn_rate:g}")
    return StagedShape(name, SHAPES[name](params))


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``2m``, ``1h30m`` -> seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError("empty duration")
    if cleaned.replace(".", "", 1).isdigit():
        return float(cleaned)
    total, number = 0.0, ""
    for char in cleaned:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            raise ValueError(f"cannot read duration {text!r} (use e.g. 90s, 2m, 1h30m)")
    if number:
        raise ValueError(f"cannot read duration {text!r}: {number!r} has no unit")
    return total
