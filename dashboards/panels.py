"""Small builders shared by the *.dashboard.py files: panels with a unit and targets, and
a row layout that assigns non-overlapping grid positions."""

from __future__ import annotations

from collections.abc import Sequence

from grafanalib.core import GridPos, Panel, RowPanel, Stat, Table, Target, Template, TimeSeries

ROW_WIDTH = 24
PANEL_HEIGHT = 8


def targets(queries: Sequence[tuple[str, str]], instant: bool = False) -> list[Target]:
    """(expr, legend) pairs -> targets with refIds A, B, ..."""
    return [
        Target(
            expr=expr,
            legendFormat=legend,
            refId=chr(ord("A") + index),
            instant=instant,
            format="table" if instant else "time_series",
        )
        for index, (expr, legend) in enumerate(queries)
    ]


def timeseries(
    title: str, description: str, queries: Sequence[tuple[str, str]], unit: str
) -> TimeSeries:
    return TimeSeries(title=title, description=description, targets=targets(queries), unit=unit)


def stat(title: str, description: str, expr: str, unit: str) -> Stat:
    return Stat(
        title=title,
        description=description,
        targets=targets([(expr, "")]),
        format=unit,
        reduceCalc="lastNotNull",
        graphMode="none",
    )


def table(title: str, description: str, queries: Sequence[tuple[str, str]], unit: str) -> Table:
    return Table(
        title=title,
        description=description,
        targets=targets(queries, instant=True),
        unit=unit,
        transformations=[{"id": "merge", "options": {}}],
    )


def query_variable(name: str, label: str, query: str) -> Template:
    """A variable filled from Prometheus label values (the datasource is set on build)."""
    return Template(name=name, label=label, query=query, refresh=2, includeAll=False)


def rows(sections: Sequence[tuple[str, Sequence[Panel]]]) -> list[Panel]:
    """Lay sections out top to bottom: a row header, then its panels side by side."""
    laid_out: list[Panel] = []
    y = 0
    for title, panels in sections:
        laid_out.append(RowPanel(title=title, gridPos=GridPos(h=1, w=ROW_WIDTH, x=0, y=y)))
        y += 1
        width = ROW_WIDTH // len(panels)
        for index, panel in enumerate(panels):
            panel.gridPos = GridPos(h=PANEL_HEIGHT, w=width, x=index * width, y=y)
            laid_out.append(panel)
        y += PANEL_HEIGHT
    return laid_out
