"""Load shapes, durations and thresholds: plain logic, no Locust import."""

from __future__ import annotations

import pytest

from load_scenarios import shapes
from load_scenarios.scenarios import SCENARIOS, personas
from load_scenarios.thresholds import (
    AGGREGATED,
    Limits,
    RequestRow,
    evaluate,
    from_json,
    parse_limit,
    to_json,
)


def ticks(shape: shapes.StagedShape, every: float = 1.0) -> list[tuple[int, float] | None]:
    return [shape.tick(t * every) for t in range(int(shape.duration_s / every) + 2)]


def at(shape: shapes.StagedShape, run_time: float) -> tuple[int, float]:
    tick = shape.tick(run_time)
    assert tick is not None, f"the shape stopped before {run_time}s"
    return tick


def test_steady_holds_its_users_then_stops():
    shape = shapes.build("steady", shapes.ShapeParams(users=8, duration_s=10))
    assert shape.tick(0) == (8, 1.6)
    assert shape.tick(9.9) == (8, 1.6)
    assert shape.tick(10) is None


def test_ramp_climbs_in_stairs_and_holds_the_peak():
    shape = shapes.build("ramp", shapes.ShapeParams(users=10, duration_s=100))
    users = [tick[0] for tick in ticks(shape) if tick]
    assert users == sorted(users), "a ramp never goes down"
    assert users[0] == 2 and users[-1] == 10
    assert len(set(users)) == 5
    assert at(shape, 79)[0] == 10 and at(shape, 99)[0] == 10  # the last 20% hold
    assert shape.tick(100) is None


def test_spike_bursts_in_the_middle_and_comes_back():
    shape = shapes.build("spike", shapes.ShapeParams(users=5, duration_s=50, peak_users=40))
    assert at(shape, 0)[0] == 5
    assert at(shape, 19.9)[0] == 5
    assert shape.tick(20) == (40, 40.0)  # the whole burst within a second
    assert at(shape, 29.9)[0] == 40
    assert at(shape, 30)[0] == 5
    assert shape.tick(50) is None
    assert shapes.build("spike", shapes.ShapeParams(5, 50)).peak_users == 20


def test_soak_warms_up_gently_then_runs_long():
    shape = shapes.build("soak", shapes.ShapeParams(users=30, duration_s=4 * 3600))
    users, rate = at(shape, 0)
    assert users == 30 and rate == pytest.approx(0.5)  # 30 users over the one-minute warm-up
    assert shape.tick(3 * 3600) == (30, rate)
    assert shape.tick(4 * 3600) is None


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("wave", shapes.ShapeParams(5, 10), "unknown shape 'wave'"),
        ("steady", shapes.ShapeParams(0, 10), "users must be at least 1"),
        ("ramp", shapes.ShapeParams(5, 0), "duration must be positive"),
        ("spike", shapes.ShapeParams(5, 10, peak_users=5), "must exceed the base users"),
    ],
)
def test_bad_shape_parameters_are_named(name, params, message):
    with pytest.raises(ValueError, match=message):
        shapes.build(name, params)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("2m", 120), ("1h30m", 5400), ("1.5m", 90)]
)
def test_durations(text, seconds):
    assert shapes.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2x", "5m3", "m"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        shapes.parse_duration(text)


def test_every_scenario_names_known_personas():
    for scenario in SCENARIOS:
        assert set(personas(scenario)) <= set(SCENARIOS["mixed"])
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        personas("nope")


def test_threshold_syntax_round_trips():
    key, limits = parse_limit("GET /products/[id]:p95_ms=300,fail_ratio=0.01")
    assert key == "GET /products/[id]" and limits == Limits(300, 0.01)
    assert from_json(to_json({key: limits, "*": Limits(p95_ms=800)})) == {
        key: limits,
        "*": Limits(p95_ms=800),
    }
    for bad, message in [
        ("GET /x", "must look like"),
        ("GET /x:p99=3", "is not p95_ms=N"),
        ("GET /x:p95_ms=fast", "'fast' is not a number"),
        ("GET /x:fail_ratio=2", "between 0 and 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_limit(bad)


def test_thresholds_judge_each_request_and_the_total():
    rows = [
        RequestRow("GET /products", 100, 0, 120),
        RequestRow("POST /orders", 50, 5, 300),
        RequestRow(AGGREGATED, 150, 5, 250),
    ]
    assert evaluate({"*": Limits(p95_ms=500, fail_ratio=0.2)}, rows) == []
    assert evaluate({"*": Limits(p95_ms=200)}, rows) == ["POST /orders: p95 300 ms > 200 ms"]
    assert evaluate({AGGREGATED: Limits(fail_ratio=0.01)}, rows) == [
        "Aggregated: fail ratio 3.33% > 1.00% (5/150)"
    ]
    assert evaluate({"GET /typo": Limits(p95_ms=1)}, rows) == ["GET /typo: no requests recorded"]
