"""Dashboard linter in the spirit of Grafana's dashboard-linter.

Rules: unique dashboard uid and panel ids, no overlapping gridPos, every panel has a
title, a unit and targets, a `datasource` template variable used by every panel and
target, `$__rate_interval` in rate/irate/increase, counters only inside rate/increase,
not editable, and every PromQL expression parses (checked by promtool).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

MIN_SCHEMA_VERSION = 36
DATASOURCE_UID = "${datasource}"
_RATE_CALL = re.compile(r"\b(rate|irate|increase)\s*\(")
_COUNTER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*_(total|count|bucket|sum)\b")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_VARIABLE = re.compile(r"\$\{?(\w+)\}?")


def _panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def _call_body(expr: str, open_paren: int) -> str:
    depth = 0
    for index in range(open_paren, len(expr)):
        depth += {"(": 1, ")": -1}.get(expr[index], 0)
        if depth == 0:
            return expr[open_paren + 1 : index]
    return expr[open_paren + 1 :]


def expression_problems(expr: str) -> list[str]:
    """Rate-interval and counter rules for one PromQL expression."""
    problems = []
    code = _QUOTED.sub('""', expr)  # label values are not code
    rate_spans = []
    for match in _RATE_CALL.finditer(code):
        body = _call_body(code, match.end() - 1)
        rate_spans.append((match.end(), match.end() + len(body)))
        for window in re.findall(r"\[([^\]]*)\]", body):
            if window.strip() != "$__rate_interval":
                problems.append(f"{match.group(1)}() over [{window}]: use [$__rate_interval]")
    for match in _COUNTER.finditer(code):
        if not any(start <= match.start() < end for start, end in rate_spans):
            problems.append(f"counter {match.group(0)} outside rate()/increase()")
    return problems


def _promql_for_parsing(expr: str) -> str:
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    return _VARIABLE.sub("variable", expr)


def dashboard_problems(name: str, dashboard: Mapping[str, Any]) -> list[str]:
    """Problems of one dashboard except PromQL parsing (see `parse_problems`)."""
    problems = []
    if not dashboard.get("uid"):
        problems.append(f"{name}: no uid")
    if dashboard.get("editable", True):
        problems.append(f"{name}: editable (generated dashboards must not be edited in Grafana)")
    if dashboard.get("schemaVersion", 0) < MIN_SCHEMA_VERSION:
        problems.append(f"{name}: schemaVersion {dashboard.get('schemaVersion')} is outdated")
    variables = dashboard.get("templating", {}).get("list", [])
    if not any(v.get("type") == "datasource" and v.get("name") == "datasource" for v in variables):
        problems.append(f"{name}: no `datasource` template variable")
    for variable in variables:
        if variable.get("type") == "query" and _uid(variable) != DATASOURCE_UID:
            problems.append(
                f"{name}: variable {variable.get('name')}: datasource is not $datasource"
            )
    seen_ids: set[Any] = set()
    cells: dict[tuple[int, int], str] = {}
    for panel in _panels(dashboard):
        label = f"{name}: panel {panel.get('title') or '?'!r} (id {panel.get('id')})"
        if panel.get("id") in seen_ids or panel.get("id") is None:
            problems.append(f"{label}: id missing or not unique")
        seen_ids.add(panel.get("id"))
        problems.extend(f"{label}: {p}" for p in _grid_problems(panel, cells, label))
        if not panel.get("title"):
            problems.append(f"{label}: no title")
        if panel.get("type") == "row":
            continue
        if not panel.get("description"):
            problems.append(f"{label}: no description")
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            problems.append(f"{label}: no unit")
        if _uid(panel) != DATASOURCE_UID:
            problems.append(f"{label}: datasource is not $datasource")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{label}: no targets")
        for target in targets:
            if _uid(target) != DATASOURCE_UID:
                problems.append(
                    f"{label}: target {target.get('refId')}: datasource is not $datasource"
                )
            problems.extend(f"{label}: {p}" for p in expression_problems(target.get("expr", "")))
    return problems


def _uid(item: Mapping[str, Any]) -> Any:
    datasource = item.get("datasource")
    return datasource.get("uid") if isinstance(datasource, dict) else None


def _grid_problems(
    panel: Mapping[str, Any], cells: dict[tuple[int, int], str], label: str
) -> list[str]:
    grid = panel.get("gridPos")
    if not grid:
        return ["no gridPos"]
    problems = []
    for x in range(grid["x"], grid["x"] + grid["w"]):
        for y in range(grid["y"], grid["y"] + grid["h"]):
            if (x, y) in cells:
                problems.append(f"gridPos overlaps {cells[(x, y)]}")
                return problems
            cells[(x, y)] = label
    if grid["x"] + grid["w"] > 24:
        problems.append("gridPos wider than the dashboard")
    return problems


def expressions(dashboard: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) for every PromQL expression: targets and annotation queries."""
    found = [
        (f"panel {panel.get('title')!r} target {target.get('refId')}", target["expr"])
        for panel in _panels(dashboard)
        for target in panel.get("targets") or []
        if target.get("expr")
    ]
    found += [
        (f"annotation {a.get('name')!r}", a["expr"])
        for a in dashboard.get("annotations", {}).get("list", [])
        if a.get("expr")
    ]
    return found


def parse_problems(named: Mapping[str, Mapping[str, Any]], promtool: str = "promtool") -> list[str]:
    """Run every expression of every dashboard through `promtool check rules` at once."""
    located = [
        (f"{name}: {where}", expr) for name, d in named.items() for where, expr in expressions(d)
    ]
    rules = [
        {"record": f"lint:expr_{i}", "expr": _promql_for_parsing(e)}
        for i, (_, e) in enumerate(located)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard-exprs.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "lint", "rules": rules}]}))
        result = subprocess.run(
            [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
        )
    if result.returncode == 0:
        return []
    output = result.stdout + result.stderr
    problems = []
    for index, (where, expr) in enumerate(located):
        for line in output.splitlines():
            if f'"lint:expr_{index}"' in line:
                problems.append(
                    f"{where}: PromQL does not parse: {line.split(': ', 3)[-1]} ({expr!r})"
                )
    return problems or [f"promtool check rules failed: {output.strip()}"]


def lint(named: Mapping[str, Mapping[str, Any]], promtool: str = "promtool") -> list[str]:
    """All problems of a set of dashboards {file name: JSON}; empty when clean."""
    problems = []
    uids: dict[str, str] = {}
    for name, dashboard in named.items():
        problems.extend(dashboard_problems(name, dashboard))
        uid = dashboard.get("uid")
        if uid and uid in uids:
            problems.append(f"{name}: uid {uid!r} also used by {uids[uid]}")
        uids[str(uid)] = name
    return problems + parse_problems(named, promtool)
