"""The soak script's reading of a `make test` log and its verdict per run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "suite_soak.py"


def soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("suite_soak", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["suite_soak"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_last_pytest_summary_gives_wall_time_and_counts() -> None:
    log = (
        "== 336 passed, 3 warnings in 43.11s ==\n"  # make check's run, earlier in a log
        "...\n"
        "====== 1 failed, 469 passed, 6 warnings in 834.12s (0:13:54) ======\n"
    )
    seconds, counts = soak().parse_pytest(log)
    assert seconds == 834.12
    assert counts == {"failed": 1, "passed": 469}


def test_a_run_is_green_only_with_exit_zero_and_no_failure(tmp_path: Path) -> None:
    module = soak()
    green = module.RunResult(1, False, 0, 700.0, 650.0, {"passed": 470}, tmp_path / "l")
    failed = module.RunResult(2, True, 2, 700.0, 650.0, {"failed": 1, "passed": 469}, tmp_path)
    no_summary = module.RunResult(3, False, 2, 30.0, None, {}, tmp_path / "l")
    assert green.green and not failed.green and not no_summary.green
    assert "GREEN" in green.line(3) and "hog=no" in green.line(3)
    assert "RED" in failed.line(3) and "hog=yes" in failed.line(3)
    assert "pytest=-" in no_summary.line(3)
