"""The suite's xdist groups hold: tests of one group run on one worker.

The suite leans on them (one shared platform, the stop games on one platform, one judged
game at a time). A pytest or xdist upgrade that breaks `--dist loadgroup` does so without
an error (pytest-dev/pytest-xdist#1386), so this runs a small suite and looks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GROUPED = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("together")


@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    with open(os.environ["WORKERS_LOG"], "a") as log:
        log.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""
LOOSE = """
import time
import pytest


@pytest.mark.parametrize("n", range(6))
def test_loose(n):
    time.sleep(0.05)
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_loose.py").write_text(LOOSE)
    log = tmp_path / "workers.log"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=120, cwd=tmp_path,
        env={"WORKERS_LOG": str(log), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    workers = log.read_text().split()
    assert len(workers) == 6
    assert len(set(workers)) == 1, f"one group ran on several workers: {sorted(set(workers))}"
