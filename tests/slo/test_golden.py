"""Golden tests, the Sloth way: spec in -> rules out, for the default and game profiles.

Regenerate the expected files after an intended change with UPDATE_GOLDEN=1 and review
the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from slo.model import load_spec_file
from slo.profiles import PROFILES
from slo.render import to_yaml
from slo.rules import rule_groups

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.yaml") if ".expected." not in p.name)


def render(case: str, profile: str) -> str:
    slos = load_spec_file(GOLDEN / f"{case}.yaml")
    groups = [rule_groups(slo, PROFILES[profile]) for slo in slos]
    document = {"groups": [g.recording for g in groups] + [g.alerting for g in groups]}
    return to_yaml(document, f"{case}.yaml")


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("case", CASES)
def test_rules_match_golden_file(case: str, profile: str) -> None:
    expected_path = GOLDEN / f"{case}.expected.{profile}.yaml"
    actual = render(case, profile)
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.exists(), f"missing {expected_path.name}: run with UPDATE_GOLDEN=1"
    assert actual == expected_path.read_text(encoding="utf-8")


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 2
