"""Load dashboards/*.dashboard.py (each defines `dashboard`, a grafanalib Dashboard) and
turn them into modern Grafana JSON.

grafanalib 0.7.1 still writes schemaVersion 12, editable dashboards and datasource names;
the post-processing below brings the output to the current schema: a `datasource`
template variable that every panel, target and variable uses, not editable, no legacy keys.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from grafanalib.core import Dashboard

from slo.render import HEADER

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
DATASOURCE_VARIABLE = {
    "name": "datasource",
    "label": "Data source",
    "type": "datasource",
    "query": "prometheus",
    "current": {},
    "hide": 0,
    "refresh": 1,
    "options": [],
}
# Keys grafanalib writes that current Grafana ignores or has replaced.
LEGACY_DASHBOARD_KEYS = ("rows", "style", "hideControls", "sharedCrosshair", "__inputs", "gnetId")
LEGACY_PANEL_KEYS = ("span", "height", "minSpan", "error", "editable", "cacheTimeout", "columns")
LEGACY_TARGET_KEYS = ("target", "metric", "step", "intervalFactor", "query")
SUFFIX = ".dashboard.py"


def load_dashboard(path: Path) -> Dashboard:
    spec = importlib.util.spec_from_file_location(f"dashboards_{path.stem.split('.')[0]}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dashboard = getattr(module, "dashboard", None)
    if not isinstance(dashboard, Dashboard):
        raise TypeError(f"{path} must define `dashboard`, a grafanalib Dashboard")
    return dashboard


def _drop_nulls(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def _modern_panel(panel: dict[str, Any]) -> dict[str, Any]:
    panel = _drop_nulls({k: v for k, v in panel.items() if k not in LEGACY_PANEL_KEYS})
    if panel.get("type") == "row":
        panel.pop("datasource", None)
        panel.pop("targets", None)
        return panel
    panel["datasource"] = dict(DATASOURCE)
    panel["targets"] = [
        {
            **_drop_nulls({k: v for k, v in target.items() if k not in LEGACY_TARGET_KEYS}),
            "datasource": dict(DATASOURCE),
        }
        for target in panel.get("targets", [])
    ]
    return panel


def modernize(data: dict[str, Any], description: str) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k not in LEGACY_DASHBOARD_KEYS}
    data["schemaVersion"] = SCHEMA_VERSION
    data["editable"] = False
    data["id"] = None
    data["description"] = f"{HEADER} ({description})"
    data["panels"] = [_modern_panel(panel) for panel in data.get("panels", [])]
    variables = [
        {**_drop_nulls(variable), "datasource": dict(DATASOURCE)}
        for variable in data.get("templating", {}).get("list", [])
    ]
    data["templating"] = {"list": [dict(DATASOURCE_VARIABLE), *variables]}
    annotations = [
        {**annotation, "datasource": dict(DATASOURCE)}
        for annotation in data.get("annotations", {}).get("list", [])
    ]
    data["annotations"] = {"list": annotations}
    return data


def render(path: Path) -> str:
    dashboard = load_dashboard(path).auto_panel_ids()
    raw = json.loads(json.dumps(dashboard.to_json_data(), default=lambda o: o.to_json_data()))
    source = f"source: dashboards/{path.name}; {dashboard.description}".rstrip("; ")
    return json.dumps(modernize(raw, source), indent=2, sort_keys=True) + "\n"


def build_dashboards(directory: Path) -> dict[str, str]:
    """{'<name>.json': text} for every *.dashboard.py in `directory`."""
    return {
        path.name.removesuffix(SUFFIX) + ".json": render(path)
        for path in sorted(directory.glob(f"*{SUFFIX}"))
    }
