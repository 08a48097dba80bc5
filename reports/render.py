"""Write a judged report as report.json, junit.xml, summary.md and report.html."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from reports.html_report import render_html
from reports.model import Evaluation, Objective, Report

FILES = {
    "json": "report.json",
    "junit": "junit.xml",
    "markdown": "summary.md",
    "html": "report.html",
}
_MARK = {"pass": "✅", "warning": "⚠️", "fail": "❌", "inconclusive": "❓", "unavailable": "❔"}


def _evaluation(report: Report) -> Evaluation:
    if report.evaluation is None:
        raise ValueError(f"report {report.run_id} has not been judged: run the gate first")
    return report.evaluation


def _testcase(suite: ET.Element, classname: str, name: str, objectives: list[Objective]) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
    bad = [o for o in objectives if o.status in ("fail", "inconclusive", "unavailable")]
    warned = [o for o in objectives if o.status == "warning"]
    text = "\n".join(f"{o.id}: {o.status}: {o.display} ({o.criterion})" for o in objectives)
    if bad:
        kind = "failure" if any(o.status == "fail" for o in bad) else "error"
        ET.SubElement(
            case, kind, message="; ".join(f"{o.id}: {o.display}" for o in bad)
        ).text = text
    elif warned:
        ET.SubElement(case, "system-out").text = "warning: " + text
    else:
        ET.SubElement(case, "system-out").text = text


def render_junit(report: Report) -> str:
    """One test case per objective, plus one per round (failing when any of the round's
    objectives failed)."""
    evaluation = _evaluation(report)
    suite = ET.Element(
        "testsuite", name=f"gameday {report.run_id}", timestamp=str(int(report.started_at))
    )
    for objective in evaluation.objectives:
        _testcase(suite, f"gameday.{report.profile}.objectives", objective.id, [objective])
    for game_round in report.rounds:
        own = [o for o in evaluation.objectives if o.round == game_round.name]
        _testcase(suite, f"gameday.{report.profile}.rounds", game_round.name, own)
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suites = ET.Element("testsuites", name="gameday")
    suites.append(suite)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def render_markdown(report: Report) -> str:
    """A pull-request comment: verdict, reasons, objectives, per-round alerts and recovery."""
    evaluation = _evaluation(report)
    lines = [
        f"## Game day `{report.profile}`: {_MARK[evaluation.verdict]} "
        f"**{evaluation.verdict.upper()}**"
        f" (score {evaluation.score:g}/100)",
        "",
        f"Run `{report.run_id}` at revision `{report.git_revision}`, "
        f"{report.duration_s / 60:.1f} min, "
        f"{len(report.rounds)} rounds"
        + ("" if report.complete else ", **incomplete**")
        + (f", baseline `{evaluation.baseline_run_id}`" if evaluation.baseline_run_id else "")
        + ".",
        "",
    ]
    if evaluation.reasons:
        lines += ["**Why:**", *(f"- {reason}" for reason in evaluation.reasons), ""]
    lines += ["| objective | status | result |", "|---|---|---|"]
    for o in evaluation.objectives:
        key = " (key)" if o.key else ""
        result = o.display + (f" — {o.statistic}" if o.statistic and o.status != "pass" else "")
        lines.append(
            f"| `{o.id}`{key} | {_MARK[o.status]} {o.status} | {result.replace('|', '/')} |"
        )
    if report.rounds:
        lines += [
            "",
            "| round | chaos | fault | alerts (time to detect) | recovery |",
            "|---|---|---|---|---|",
        ]
        for r in report.rounds:
            alerts = (
                ", ".join(
                    f"{a.alertname} {a.time_to_detect_s:.0f}s"
                    if a.time_to_detect_s is not None
                    else f"{a.alertname} —"
                    for a in r.alerts
                )
                or "none expected"
            )
            rec = r.recovery
            recovery = (
                f"{rec.recovery_s:.0f}s"
                if rec.recovery_s is not None
                else ("—" if not rec.available else "not recovered")
            )
            lines.append(
                f"| {r.name} | {r.chaos_status} | {r.confirmation.status} | {alerts} | {recovery} |"
            )
    lines += ["", "Full report: `report.html` in the run folder."]
    return "\n".join(lines) + "\n"


def write_all(report: Report, out_dir: Path) -> dict[str, Path]:
    """Write every format into `out_dir`; return {format: path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in FILES.items()}
    report.save(paths["json"])
    paths["junit"].write_text(render_junit(report))
    paths["markdown"].write_text(render_markdown(report))
    paths["html"].write_text(render_html(report))
    return paths
