"""report.html: one self-contained page (inline CSS and SVG, no script, no external asset)."""

from __future__ import annotations

import time
from html import escape

from reports.model import Evaluation, Report, SliResult, SloResult
from reports.svg import Band, Line, clock, line_chart, timeline_chart

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; color: #fff;
  font-weight: 600; }
.pass { background: #2e7d32; } .warning { background: #ef6c00; } .fail { background: #c62828; }
.unavailable { background: #757575; } .inconclusive { background: #6a1b9a; }
td.status { color: #fff; text-align: center; font-weight: 600; }
td.impact { background: #fff3e0; }
table { border-collapse: collapse; margin: 6px 0; }
div.wide { overflow-x: auto; max-width: 100%; }  /* one column group per round */
td, th { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; } .charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { background: #fafafa; border: 1px solid #ddd; }
svg .title { font-size: 12px; font-weight: 600; fill: #222; }
svg .tick, svg .row { font-size: 10px; fill: #555; }
svg .grid { stroke: #e3e3e3; stroke-width: 1; } svg .frame { fill: none; stroke: #bbb; }
svg .round { fill: #fde7c8; opacity: 0.6; } svg .fault { fill: #f4a259; opacity: 0.55; }
svg .firing { fill: #c62828; opacity: 0.75; } svg .marker { fill: #222; }
svg .series { stroke-width: 1.6; } svg .reference { stroke: #333; stroke-dasharray: 4 3; }
"""


def _percent(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _status_cell(status: str) -> str:
    return f'<td class="status {escape(status)}">{escape(status)}</td>'


def _bands(report: Report) -> list[Band]:
    bands = []
    for r in report.rounds:
        bands.append(Band(r.started_at, r.ended_at, f"round {r.name}"))
        if r.fault_started_at is not None:
            bands.append(
                Band(
                    r.fault_started_at,
                    r.fault_ended_at or r.ended_at,
                    f"fault: {r.name}",
                    strong=True,
                )
            )
    return bands


def _timeline(report: Report) -> str:
    t_range = (report.started_at, report.ended_at)
    round_spans = []
    for r in report.rounds:
        round_spans.append(
            Band(r.started_at, r.ended_at, f"{r.name} ({clock(r.started_at)}-{clock(r.ended_at)})")
        )
        if r.fault_started_at is not None:
            round_spans.append(
                Band(
                    r.fault_started_at,
                    r.fault_ended_at or r.ended_at,
                    f"fault of {r.name}",
                    strong=True,
                )
            )
    rows: list[tuple[str, list[Band]]] = [("rounds", round_spans)]
    names = sorted({a.alertname for a in (report.timeline.alerts if report.timeline else [])})
    for name in names:
        spans = (
            [
                Band(a.start, a.end, f"{name} firing {clock(a.start)}-{clock(a.end)}")
                for a in report.timeline.alerts
                if a.alertname == name
            ]
            if report.timeline
            else []
        )
        rows.append((name, spans))
    markers = []
    for r in report.rounds:
        for detection in r.alerts:
            if detection.notified_at is not None:
                if detection.alertname not in names:
                    rows.append((detection.alertname, []))
                    names.append(detection.alertname)
                markers.append(
                    (
                        detection.alertname,
                        detection.notified_at,
                        f"{detection.alertname} notified at {clock(detection.notified_at)}",
                    )
                )
    return timeline_chart(t_range, rows, markers)


def _slo_charts(report: Report, slo: SloResult) -> str:
    series = (
        next((s for s in report.timeline.series if s.slug == slo.slug), None)
        if report.timeline
        else None
    )
    if series is None:
        return ""
    objective = slo.objective / 100
    sli = [None if r is None else 1 - r for r in series.error_ratio]
    lowest = min([v for v in sli if v is not None] + [objective])
    floor = max(0.0, lowest - (1 - lowest) * 0.25 - 0.0005)
    burn = [None if r is None else r / slo.error_budget for r in series.error_ratio]
    top = max([v for v in burn if v is not None] + [2.0]) * 1.1
    window = f"{report.timeline.window_s:g}s" if report.timeline else ""
    t_range = (report.started_at, report.ended_at)
    bands = _bands(report)
    return line_chart(
        f"{slo.slug}: SLI ({window} rate)",
        [Line("SLI", series.t, sli)],
        t_range,
        (floor, 1.0),
        lambda v: f"{100 * v:.2f}%",
        bands,
        reference=(objective, f"objective {slo.objective:g}%"),
    ) + line_chart(
        f"{slo.slug}: burn rate",
        [Line("burn rate", series.t, burn)],
        t_range,
        (0.0, top),
        lambda v: f"{v:.1f}x",
        bands,
        reference=(1.0, "burn rate 1: the budget lasts exactly the period"),
    )


def _sli_cells(result: SliResult) -> str:
    if not result.available:
        return '<td colspan="3">unavailable</td>'
    declared = ' class="impact"' if result.in_impact else ""
    title = f' title="{escape(result.statistic)}"' if result.statistic else ""
    return (
        f'<td class="num"{title}>{_percent(result.sli)}</td><td '
        f'class="num">{_number(result.burn_rate)}</td>'
        f'<td class="num"{declared}>{_percent(result.budget_burned, 1)}</td>'
    )


def _slo_table(report: Report) -> str:
    head = "".join(
        f'<th colspan="3">{escape(label)}</th>'
        for label in ["judged", "steady", "whole game", *(r.name for r in report.rounds)]
    )
    sub = "<th>SLI</th><th>burn</th><th>budget</th>" * (3 + len(report.rounds))
    rows = []
    for slo in report.slos:
        cells = (
            _sli_cells(slo.judged)
            + _sli_cells(slo.steady)
            + _sli_cells(slo.game)
            + "".join(_sli_cells(r) for r in slo.rounds)
        )
        rows.append(
            f'<tr><td>{escape(slo.slug)}</td><td class="num">{slo.objective:g}%</td>'
            f'<td class="num">{slo.judged.events or 0:.0f}</td>{cells}</tr>'
        )
    return (
        '<div class="wide"><table><tr><th rowspan="2">SLO</th><th '
        f'rowspan="2">objective</th><th rowspan="2">events judged</th>{head}</tr><tr>{sub}</tr>'
        + "".join(rows)
        + '</table></div><p class="meta">judged: the game minus the fault windows of the '
        "rounds that declared the SLO in their impact. budget: share of the period's error "
        "budget burned (period scaled to the game profile); shaded: inside the round's "
        "declared impact. Hover an SLI for its binomial test.</p>"
    )


def _rounds_table(report: Report) -> str:
    rows = []
    for r in report.rounds:
        alerts = (
            "<br>".join(
                f"{escape(a.alertname)}: "
                + (
                    f"{a.time_to_detect_s:.1f} s"
                    if a.time_to_detect_s is not None
                    else "not notified"
                )
                + f' <span class="meta">({escape(a.cross_check)})</span>'
                for a in r.alerts
            )
            or "none expected"
        )
        rec = r.recovery
        if not rec.available:
            recovery = "unavailable"
        elif not rec.slos:
            recovery = "no SLO hit"
        elif rec.recovered and rec.recovery_s is not None:
            recovery = f"{rec.recovery_s:.0f} s (max {rec.max_recovery_s:g} s): " + escape(
                ", ".join(s.slug for s in rec.by_slo)
            )
        else:
            recovery = f"not recovered (max {rec.max_recovery_s:g} s)"
        confirmation = (
            f"{escape(r.confirmation.status)}"
            f'<br><span class="meta">{escape(r.confirmation.detail)}</span>'
        )
        impact = escape(", ".join(r.impact)) or "none"
        fault = (
            f"{clock(r.fault_started_at)}-{clock(r.fault_ended_at or r.ended_at)}"
            if r.fault_started_at is not None
            else "-"
        )
        rows.append(
            f"<tr><td>{escape(r.name)}</td><td>{escape(r.experiment)}</td><td>{escape(r.chaos_status)}"
            f"{' (deviated)' if r.deviated else ''}</td><td>{fault}</td><td>{confirmation}</td>"
            f"<td>{impact}</td><td>{alerts}</td><td>{recovery}</td></tr>"
        )
    return (
        "<table><tr><th>round</th><th>experiment</th><th>chaos</th><th>fault</th>"
        "<th>fault confirmed</th><th>declared impact</th>"
        "<th>alerts: time to detect (cross-check with ALERTS)</th><th>recovery</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _objectives_table(evaluation: Evaluation) -> str:
    rows = "".join(
        f"<tr><td>{escape(o.id)}{' <b>(key)</b>' if o.key else ''}</td>{_status_cell(o.status)}"
        f"<td>{escape(o.display)}"
        + (f'<br><span class="meta">{escape(o.statistic)}</span>' if o.statistic else "")
        + f"</td><td>{escape(o.criterion)}</td>"
        f'<td class="num">{o.score:g} / {o.weight:g}</td></tr>'
        for o in evaluation.objectives
    )
    return (
        "<table><tr><th>objective</th><th>status</th><th>result</th><th>criterion</th><th>score</th></tr>"
        + rows
        + "</table>"
    )


def _audit(report: Report) -> str:
    audit = report.integrity
    if audit is None:
        return "<p>The integrity audit did not run.</p>"
    rows = "".join(
        f"<tr><td>{escape(str(i.get('name')))}</td>"
        f"{_status_cell('pass' if i.get('passed') else 'fail')}"
        f"<td>{escape(', '.join(map(str, i.get('offending', [])[:20])) or '-')}</td>"
        f"<td>{escape(', '.join(map(str, (i.get('inherited') or [])[:20])) or '-')}</td></tr>"
        for i in audit.get("invariants", [])
    )
    summary = f"{audit.get('orders_checked', 0)} orders checked" + (
        f"; error: {audit['error']}" if audit.get("error") else ""
    )
    head = (
        "<tr><th>invariant</th><th>status</th><th>offending (this game)</th>"
        "<th>inherited (before the game, not judged)</th></tr>"
    )
    return f"<p>{escape(summary)}</p><table>{head}{rows}</table>"


def _exercises(report: Report) -> str:
    load, probes = report.load, report.probes
    p95 = "-" if load.p95_ms is None else f"{load.p95_ms:.0f} ms"
    journeys = (
        ", ".join(f"{escape(name)}: {counts}" for name, counts in sorted(probes.by_journey.items()))
        or "-"
    )
    return (
        "<table><tr><th></th><th>volume</th><th>failures</th><th>detail</th></tr>"
        f'<tr><td>load</td><td class="num">{load.requests} requests ({load.rps:.1f}/s)</td>'
        f'<td class="num">{load.failures}</td><td>p95 {p95}</td></tr>'
        f'<tr><td>probes</td><td class="num">{probes.runs} runs</td><td '
        f'class="num">{probes.failures}</td>'
        f"<td>{journeys}</td></tr></table>"
    )


def render_html(report: Report) -> str:
    evaluation = report.evaluation
    assert evaluation is not None, "a report is rendered after the gate judged it"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(report.started_at))
    reasons = (
        "".join(f"<li>{escape(reason)}</li>" for reason in evaluation.reasons)
        or "<li>every objective passed</li>"
    )
    charts = "".join(_slo_charts(report, slo) for slo in report.slos)
    if not charts:
        charts = "<p>No Prometheus range data: SLO charts unavailable.</p>"
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Game day {escape(report.run_id)}: {evaluation.verdict}</title>
<style>{STYLE}</style></head>
<body>
<h1>Game day {escape(report.run_id)}</h1>
<p><span class="verdict {evaluation.verdict}" id="verdict">{evaluation.verdict.upper()}</span>
 score <b id="score">{evaluation.score:g}</b> / 100
 (pass at {evaluation.pass_threshold:g}, warning at
 {evaluation.warning_threshold:g}){"" if report.complete else " <b>incomplete game</b>"}</p>
<p class="meta">profile {escape(report.profile)} · revision {escape(report.git_revision)} ·
 started {started} ·
 {report.duration_s / 60:.1f} min · {len(report.rounds)} rounds ·
 policy {escape(evaluation.policy)} ·
 baseline {escape(evaluation.baseline_run_id or "none")}</p>
<h2>Why</h2><ul>{reasons}</ul>
<h2>Timeline</h2>
<div class="charts">{_timeline(report)}</div>
<h2>SLOs</h2>
{_slo_table(report)}
<div class="charts">{charts}</div>
<h2>Rounds: alerts and recovery</h2>
{_rounds_table(report)}
<h2>Objectives</h2>
{_objectives_table(evaluation)}
<h2>Integrity audit</h2>
{_audit(report)}
<h2>Load and probes</h2>
{_exercises(report)}
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
</body></html>
"""
