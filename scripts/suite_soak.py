"""Reliability run of the test suite: `make test` on N fresh clones, some beside a CPU hog.

    python scripts/suite_soak.py --runs 3 --hog-runs 1

Each run clones the repository into a new directory at the commit that was HEAD when
the soak started, runs `make test` there (bootstrap included, as CI does) and prints
one line: exit code, wall time of
`make test` and of pytest alone, and the test counts. Runs with a hog have
`stress-ng --cpu 1` (Debian) running alongside for their whole duration. A summary
follows; the exit code is 0 only if every run was green.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# pytest's closing line, e.g. "=== 358 passed, 2 warnings in 583.21s (0:09:43) ==="
SUMMARY = re.compile(r"=+ (?P<counts>.*?) in (?P<seconds>[\d.]+)s(?: \([\d:]+\))? =+")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
SUITE_TARGET_S = 600


@dataclass
class RunResult:
    index: int
    hog: bool
    exit_code: int
    wall_s: float
    pytest_s: float | None
    counts: dict[str, int]
    log: Path

    @property
    def green(self) -> bool:
        return self.exit_code == 0 and not self.counts.get("failed") and not self.errors

    @property
    def errors(self) -> int:
        return self.counts.get("error", 0) + self.counts.get("errors", 0)

    def line(self, runs: int) -> str:
        suite = f"{self.pytest_s:.0f}s" if self.pytest_s is not None else "-"
        counts = ", ".join(f"{n} {kind}" for kind, n in self.counts.items()) or "no summary"
        return (
            f"run {self.index}/{runs}  hog={'yes' if self.hog else 'no '}  "
            f"{'GREEN' if self.green else 'RED  '}  exit={self.exit_code}  "
            f"make-test={self.wall_s:.0f}s  pytest={suite}  ({counts})  log {self.log}"
        )


def parse_pytest(log_text: str) -> tuple[float | None, dict[str, int]]:
    """Wall time and counts from the last pytest summary line of a log."""
    matches = list(SUMMARY.finditer(log_text))
    if not matches:
        return None, {}
    last = matches[-1]
    counts = {kind: int(n) for n, kind in COUNT.findall(last["counts"])}
    return float(last["seconds"]), counts


def one_run(index: int, hog: bool, workdir: Path, revision: str) -> RunResult:
    clone = workdir / f"run-{index}"
    subprocess.run(
        ["git", "clone", "--quiet", str(REPO), str(clone)], check=True, capture_output=True
    )
    # Every run tests the revision the soak started on, whatever is committed meanwhile.
    subprocess.run(
        ["git", "checkout", "--quiet", "--detach", revision],
        cwd=clone, check=True, capture_output=True,
    )  # fmt: skip
    log = workdir / f"run-{index}.log"
    hog_process = None
    if hog:
        hog_process = subprocess.Popen(
            ["stress-ng", "--cpu", "1", "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    started = time.monotonic()
    try:
        with log.open("wb") as sink:
            code = subprocess.run(
                ["make", "test"], cwd=clone, stdout=sink, stderr=subprocess.STDOUT, check=False
            ).returncode
    finally:
        if hog_process is not None:
            hog_process.terminate()
            hog_process.wait(timeout=30)
    wall = time.monotonic() - started
    pytest_s, counts = parse_pytest(log.read_text(errors="replace"))
    return RunResult(index, hog, code, wall, pytest_s, counts, log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Play `make test` on fresh clones, some with a CPU hog alongside.",
        epilog="Runs with a hog come last. Clones and logs go to --workdir (kept).",
    )
    parser.add_argument("--runs", type=int, default=3, help="number of runs (default 3)")
    parser.add_argument(
        "--hog-runs", type=int, default=1, help="how many of them beside `stress-ng --cpu 1`"
    )
    parser.add_argument(
        "--workdir", type=Path, help="where clones and logs go (default: a new temp dir)"
    )
    parser.add_argument(
        "--keep-clones", action="store_true", help="keep each clone (default: delete after its run)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or not 0 <= args.hog_runs <= args.runs:
        parser.error("need --runs >= 1 and 0 <= --hog-runs <= --runs")
    if args.hog_runs and shutil.which("stress-ng") is None:
        parser.error("stress-ng is not installed (Debian package stress-ng; `make bootstrap`)")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="suite-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    head = revision[:7]
    print(f"suite soak of {head}: {args.runs} runs, {args.hog_runs} beside a CPU hog; {workdir}")
    results = []
    for index in range(1, args.runs + 1):
        hog = index > args.runs - args.hog_runs
        print(f"run {index}/{args.runs} started (hog={'yes' if hog else 'no'})", flush=True)
        result = one_run(index, hog, workdir, revision)
        results.append(result)
        print(result.line(args.runs), flush=True)
        if not args.keep_clones:
            shutil.rmtree(workdir / f"run-{index}", ignore_errors=True)
    green = sum(r.green for r in results)
    suites = [r.pytest_s for r in results if r.pytest_s is not None]
    print(
        f"summary: {green}/{len(results)} green"
        + (
            f"; pytest wall time min {min(suites):.0f}s, max {max(suites):.0f}s "
            f"(target {SUITE_TARGET_S}s: {'within' if max(suites) <= SUITE_TARGET_S else 'MISSED'})"
            if suites
            else ""
        )
    )
    return 0 if green == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
