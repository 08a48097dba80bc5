"""`harness load` refuses bad input with one line, before starting anything."""

from __future__ import annotations

import pytest

from harness.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--threshold", "GET /x:p99=1"], "'p99=1' is not p95_ms=N or fail_ratio=R"),
        (["--duration", "soon"], "cannot read duration 'soon'"),
        (["--shape", "spike", "--users", "5", "--peak-users", "5"], "must exceed the base"),
        (["--workers", "-1"], "workers must be 0 or more"),
    ],
)
def test_bad_load_options_are_one_line(capsys, argv, message):
    assert main(["load", "--gateway", "http://127.0.0.1:9", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("harness load: error:")


def test_load_without_a_platform_says_how_to_start_one(capsys, tmp_path):
    assert main(["load", "--state-dir", str(tmp_path)]) == 2
    assert "no platform running; start one with `harness up`" in capsys.readouterr().err
