"""`python -m harness.fidelity` (`nox -s fidelity`): play a game profile on temporary copies
of the project, one realistic regression each, and on clean copies; print caught or
missed per mutant and the false fails among the clean games.

    python -m harness.fidelity                     # every mutant and 2 clean smoke games
    python -m harness.fidelity --clean 10 --mutants none
    python -m harness.fidelity --mutants captures-recorded-failed --profile standard
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness.fidelity.mutants import Mutant, MutantError, load_mutants

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What a copy of the project leaves out: environments, caches, old runs.
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".nox", ".harness", "__pycache__", ".mypy_cache", ".ruff_cache",
    ".pytest_cache", "runs", "*.egg-info",
)  # fmt: skip


@dataclass
class Outcome:
    label: str  # the mutant's kind/name, or "clean N"
    mutant: Mutant | None
    exit_code: int
    verdict: str
    score: float | None
    reasons: list[str]
    seconds: float
    report: Path | None

    @property
    def correct(self) -> bool:
        """A mutant must fail the gate (exit 1); a clean game must pass it (exit 0)."""
        return self.exit_code == (1 if self.mutant else 0)

    def line(self) -> str:
        if self.mutant:
            mark = "caught" if self.correct else "MISSED"
        else:
            mark = "pass  " if self.correct else "FALSE FAIL"
        score = f"{self.score:g}" if self.score is not None else "-"
        why = f"  ({self.reasons[0][:110]})" if self.reasons else ""
        return (
            f"{mark:10} {self.label:44} {self.verdict.upper():12} {score:>5}  "
            f"exit {self.exit_code}  {self.seconds / 60:4.1f} min{why}"
        )


def copy_project(destination: Path) -> Path:
    shutil.copytree(PROJECT_ROOT, destination, ignore=IGNORED)
    return destination


def play(copy: Path, profile: str, workdir: Path, label: str) -> tuple[int, Path | None]:
    """`harness gameday` with the copy's code (PYTHONPATH), on its own free ports."""
    state, runs = workdir / "state", workdir / "runs"
    env = os.environ | {"PYTHONPATH": str(copy), "PYTHONUNBUFFERED": "1"}
    with (workdir / "game.log").open("w") as log:
        code = subprocess.run(
            [sys.executable, "-m", "harness", "gameday", "--profile", profile, "--free-ports",
             "--state-dir", str(state), "--reports-dir", str(runs), "--baseline", "none"],
            cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT, check=False,
        ).returncode  # fmt: skip
    reports = sorted(runs.glob("*/report.json"))
    return code, reports[-1] if reports else None


def run_one(mutant: Mutant | None, label: str, profile: str, root: Path) -> Outcome:
    workdir = root / label.replace("/", "-").replace(" ", "-")
    workdir.mkdir(parents=True)
    copy = copy_project(workdir / "project")
    if mutant is not None:
        mutant.apply(copy)
        if mutant.regenerate:
            subprocess.run(
                [sys.executable, "-m", "harness", "generate"], cwd=copy, check=True,
                env=os.environ | {"PYTHONPATH": str(copy)}, capture_output=True,
            )  # fmt: skip
    started = time.monotonic()
    code, report_path = play(copy, profile, workdir, label)
    verdict, score, reasons = "no report", None, []
    if report_path is not None:
        evaluation = json.loads(report_path.read_text()).get("evaluation") or {}
        verdict = evaluation.get("verdict", "?")
        score = evaluation.get("score")
        reasons = list(evaluation.get("reasons", []))
    shutil.rmtree(copy, ignore_errors=True)  # keep the logs and reports, not the code
    return Outcome(label, mutant, code, verdict, score, reasons, time.monotonic() - started,
                   report_path)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.fidelity",
        description="Play a game on copies of the project that each carry one realistic "
        "regression (harness/fidelity/mutants.yaml) and on clean copies. Every mutant must "
        "fail the gate (exit 1) and every clean game pass it (exit 0).",
    )
    parser.add_argument(
        "--mutants", default="all", help="'all', 'none' or names separated by commas"
    )
    parser.add_argument("--clean", type=int, default=2, help="clean games to play (default 2)")
    parser.add_argument("--profile", default="smoke", help="game profile (default smoke)")
    parser.add_argument("--workdir", type=Path, help="where copies, logs and reports go")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    try:
        mutants = load_mutants()
    except MutantError as exc:
        print(f"fidelity: error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for mutant in mutants:
            print(f"{mutant.kind:18} {mutant.name:40} {mutant.description}")
        return 0
    if args.mutants == "none":
        chosen: list[Mutant] = []
    elif args.mutants == "all":
        chosen = mutants
    else:
        wanted = {name.strip() for name in args.mutants.split(",") if name.strip()}
        unknown = wanted - {m.name for m in mutants}
        if unknown:
            print(f"fidelity: error: unknown mutants: {', '.join(sorted(unknown))}",
                  file=sys.stderr)  # fmt: skip
            return 2
        chosen = [m for m in mutants if m.name in wanted]
    if args.clean < 0:
        parser.error("--clean must be 0 or more")
    root = args.workdir or Path(tempfile.mkdtemp(prefix="fidelity-"))
    root.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[Mutant | None, str]] = [(m, f"{m.kind}/{m.name}") for m in chosen]
    plan += [(None, f"clean {i + 1}") for i in range(args.clean)]
    print(f"fidelity: {len(chosen)} mutants and {args.clean} clean games of the "
          f"{args.profile} profile, one at a time; work in {root}", flush=True)  # fmt: skip
    outcomes = []
    for index, (planned, label) in enumerate(plan, start=1):
        print(f"[{index}/{len(plan)}] {label}: playing...", flush=True)
        try:
            outcome = run_one(planned, label, args.profile, root)
        except MutantError as exc:
            print(f"fidelity: error: {exc}", file=sys.stderr)
            return 2
        outcomes.append(outcome)
        print(outcome.line(), flush=True)
    caught = [o for o in outcomes if o.mutant and o.correct]
    clean = [o for o in outcomes if not o.mutant]
    false_fails = [o for o in clean if not o.correct]
    print(
        f"summary: mutants caught {len(caught)}/{len(chosen)}; "
        f"false fails {len(false_fails)}/{len(clean)} clean games; reports under {root}"
    )
    return 0 if len(caught) == len(chosen) and not false_fails else 1


if __name__ == "__main__":
    sys.exit(main())
