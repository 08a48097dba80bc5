"""promtool and amtool on every generated file, and the generated promtool unit tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from slo.generate import REPO_ROOT, alertmanager_path, rule_files

PROFILES = ("default", "game")


def run(*command: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("profile", PROFILES)
def test_promtool_check_rules(profile: str) -> None:
    files = rule_files(profile)
    result = run("promtool", "check", "rules", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


@pytest.mark.parametrize("profile", PROFILES)
def test_amtool_check_config(profile: str) -> None:
    result = run("amtool", "check-config", str(alertmanager_path(profile)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("profile", PROFILES)
def test_generated_promtool_unit_tests_pass(profile: str) -> None:
    directory = alertmanager_path(profile).parent / "tests"
    tests = sorted(directory.glob("*.test.yaml"))
    assert tests, f"no promtool tests in {directory}"
    result = run("promtool", "test", "rules", *(t.name for t in tests), cwd=directory)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(tests)


def test_unit_tests_cover_page_ticket_and_silence() -> None:
    """Each generated test file holds a case that pages, one that only tickets, one silent."""
    import yaml

    for path in sorted((alertmanager_path().parent / "tests").glob("*.test.yaml")):
        outcomes = set()
        for case in yaml.safe_load(path.read_text())["tests"]:
            alerts = case["alert_rule_test"][0]["exp_alerts"]
            outcomes.add(tuple(sorted(a["exp_labels"]["severity"] for a in alerts)))
        assert {("page", "ticket"), ("ticket",), ()} <= outcomes, path.name


def test_a_broken_rule_makes_promtool_fail(tmp_path: Path) -> None:
    """The check above can fail: promtool rejects a rule with a PromQL syntax error."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "groups:\n- name: g\n  rules:\n  - record: x:y:z\n    expr: sum(rate(x[5m])\n"
    )
    assert run("promtool", "check", "rules", str(broken)).returncode != 0
