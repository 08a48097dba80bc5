"""Dashboard lint: the generated dashboards are clean, and every rule catches its fault."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dashboards.build import SCHEMA_VERSION, build_dashboards
from dashboards.lint import expression_problems, lint
from slo.generate import REPO_ROOT

Dashboard = dict[str, Any]


@pytest.fixture(scope="module")
def dashboards() -> dict[str, Dashboard]:
    return {
        path.name: json.loads(path.read_text())
        for path in sorted((REPO_ROOT / "dashboards" / "generated").glob("*.json"))
    }


def test_generated_dashboards_are_clean(dashboards: dict[str, Dashboard]) -> None:
    assert set(dashboards) >= {
        "service.json",
        "slo-overview.json",
        "slo-detail.json",
        "gameday.json",
    }
    assert lint(dashboards) == []


def test_output_is_modern(dashboards: dict[str, Dashboard]) -> None:
    for dashboard in dashboards.values():
        assert dashboard["schemaVersion"] == SCHEMA_VERSION
        assert dashboard["editable"] is False
        assert "rows" not in dashboard
        assert dashboard["templating"]["list"][0]["type"] == "datasource"


def test_build_is_deterministic() -> None:
    first = build_dashboards(REPO_ROOT / "dashboards")
    assert first == build_dashboards(REPO_ROOT / "dashboards")


def test_gameday_annotates_chaos(dashboards: dict[str, Dashboard]) -> None:
    (annotation,) = dashboards["gameday.json"]["annotations"]["list"]
    assert "harness_chaos_active" in annotation["expr"]


def first_panel(d: Dashboard) -> Dashboard:
    return next(p for p in d["panels"] if p["type"] != "row")


def _set_expr(expr: str) -> Callable[[Dashboard], None]:
    def change(d: Dashboard) -> None:
        first_panel(d)["targets"][0]["expr"] = expr

    return change


BREAKAGES: dict[str, tuple[Callable[[Dashboard], None], str]] = {
    "no uid": (lambda d: d.pop("uid"), "no uid"),
    "editable": (lambda d: d.update(editable=True), "editable"),
    "old schema": (lambda d: d.update(schemaVersion=12), "outdated"),
    "no datasource variable": (
        lambda d: d["templating"].update(list=d["templating"]["list"][1:]),
        "no `datasource` template variable",
    ),
    "duplicate panel id": (lambda d: first_panel(d).update(id=d["panels"][0]["id"]), "not unique"),
    "overlap": (lambda d: first_panel(d)["gridPos"].update(y=0), "overlaps"),
    "no title": (lambda d: first_panel(d).update(title=""), "no title"),
    "no unit": (lambda d: first_panel(d)["fieldConfig"]["defaults"].pop("unit"), "no unit"),
    "no targets": (lambda d: first_panel(d).update(targets=[]), "no targets"),
    "fixed datasource": (
        lambda d: first_panel(d).update(datasource={"uid": "prom-1"}),
        "not $datasource",
    ),
    "fixed rate window": (_set_expr("sum(rate(x_total[5m]))"), "use [$__rate_interval]"),
    "bare counter": (_set_expr("sum(x_total)"), "counter x_total outside rate"),
    "bad promql": (_set_expr("sum(rate(x_total[$__rate_interval])"), "does not parse"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_each_rule_catches_its_fault(dashboards: dict[str, Dashboard], breakage: str) -> None:
    change, expected = BREAKAGES[breakage]
    broken = copy.deepcopy(dashboards["service.json"])
    change(broken)
    problems = lint({"service.json": broken})
    assert any(expected in problem for problem in problems), problems


def test_duplicate_uid_across_dashboards(dashboards: dict[str, Dashboard]) -> None:
    problems = lint({"a.json": dashboards["gameday.json"], "b.json": dashboards["gameday.json"]})
    assert any("also used by a.json" in p for p in problems)


@pytest.mark.parametrize(
    ("expr", "clean"),
    [
        ('sum(rate(x_total{a="b_total"}[$__rate_interval]))', True),
        ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[$__rate_interval])))", True),
        ("increase(x_count[1h])", False),
        ("x_sum / x_count", False),
        ("slo:current_burn_rate:ratio", True),
    ],
)
def test_expression_rules(expr: str, clean: bool) -> None:
    assert (expression_problems(expr) == []) is clean


def test_dashboard_sources_define_a_dashboard(tmp_path: Path) -> None:
    (tmp_path / "empty.dashboard.py").write_text("x = 1\n")
    with pytest.raises(TypeError, match="must define `dashboard`"):
        build_dashboards(tmp_path)
