"""The index of past runs (``reports/runs/index.json``) and baseline look-up."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ValidationError

from reports.model import Report, ReportError

DEFAULT_RUNS_DIR = Path(__file__).resolve().parent / "runs"
INDEX_NAME = "index.json"
LAST_PASS = "last-pass"  # noqa: S105 - a baseline selector, not a secret


class RunEntry(BaseModel):
    run_id: str
    profile: str
    verdict: str
    score: float
    git_revision: str
    started_at: float
    complete: bool
    path: str  # the run's folder, relative to the runs folder


def index_path(runs_dir: Path) -> Path:
    return runs_dir / INDEX_NAME


def list_runs(runs_dir: Path = DEFAULT_RUNS_DIR) -> list[RunEntry]:
    """Every indexed run, newest first."""
    path = index_path(runs_dir)
    if not path.exists():
        return []
    try:
        entries = [RunEntry.model_validate(item) for item in json.loads(path.read_text())["runs"]]
    except (json.JSONDecodeError, KeyError, TypeError, ValidationError) as exc:
        raise ReportError(f"{path}: not a run index ({type(exc).__name__})") from None
    return sorted(entries, key=lambda e: e.started_at, reverse=True)


def add_run(report: Report, run_dir: Path, runs_dir: Path = DEFAULT_RUNS_DIR) -> RunEntry:
    """Index (or re-index) a run whose report was written to `run_dir`."""
    evaluation = report.evaluation
    entry = RunEntry(
        run_id=report.run_id,
        profile=report.profile,
        verdict=evaluation.verdict if evaluation else "unknown",
        score=evaluation.score if evaluation else 0.0,
        git_revision=report.git_revision,
        started_at=report.started_at,
        complete=report.complete,
        path=os.path.relpath(run_dir.resolve(), runs_dir.resolve()),
    )
    entries = [e for e in list_runs(runs_dir) if e.run_id != report.run_id] + [entry]
    entries.sort(key=lambda e: e.started_at)
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = index_path(runs_dir)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps({"runs": [e.model_dump() for e in entries]}, indent=2) + "\n")
    temporary.replace(path)  # readers never see half an index
    return entry


def run_dir_of(entry: RunEntry, runs_dir: Path = DEFAULT_RUNS_DIR) -> Path:
    return (runs_dir / entry.path).resolve()


def find_run(run_id: str, runs_dir: Path = DEFAULT_RUNS_DIR) -> RunEntry | None:
    return next((e for e in list_runs(runs_dir) if e.run_id == run_id), None)


def find_baseline(
    which: str, profile: str, runs_dir: Path = DEFAULT_RUNS_DIR, exclude: str | None = None
) -> Report | None:
    """``last-pass``: the newest complete, passing run of `profile` (other than `exclude`)
    whose report is still on disk."""
    if which != LAST_PASS:
        raise ValueError(f"unknown baseline selector {which!r} (known: {LAST_PASS})")
    for entry in list_runs(runs_dir):
        if entry.profile != profile or entry.verdict != "pass" or not entry.complete:
            continue
        if entry.run_id == exclude:
            continue
        report_file = run_dir_of(entry, runs_dir) / "report.json"
        if report_file.exists():
            return Report.load_file(report_file)
    return None
