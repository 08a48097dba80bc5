"""The audit's report without servers: this game's violations apart from inherited ones,
the dict the game records, the text `harness audit` prints, and its CLI errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.audit import AuditReport, format_report, invariant_result
from harness.cli import main

GAME_START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
BEFORE = GAME_START - timedelta(hours=1)
AFTER = GAME_START + timedelta(minutes=1)


def test_violations_before_the_game_are_inherited_and_do_not_fail() -> None:
    findings = [("old-order", BEFORE), ("new-order", AFTER), ("at-start", GAME_START)]
    result = invariant_result("x", "x", findings, since=GAME_START)
    assert result.offending == ["at-start", "new-order"] and result.inherited == ["old-order"]
    assert not result.passed
    only_old = invariant_result("x", "x", [("old-order", BEFORE)], since=GAME_START)
    assert only_old.passed and only_old.inherited == ["old-order"] and not only_old.offending


def test_without_since_everything_counts_and_unknown_times_count_as_this_games() -> None:
    everything = invariant_result("x", "x", [("old", BEFORE), ("new", AFTER)], since=None)
    assert everything.offending == ["new", "old"] and everything.inherited == []
    assert not everything.passed
    unknown = invariant_result("x", "x", [("no-time", None)], since=GAME_START)
    assert unknown.offending == ["no-time"] and not unknown.passed
    # An id found both before and during the game is this game's.
    both = invariant_result("x", "x", [("o", BEFORE), ("o", AFTER)], since=GAME_START)
    assert both.offending == ["o"] and both.inherited == []


def test_report_dict_and_text_name_inherited_orders_apart() -> None:
    results = [
        invariant_result("orders_terminal", "terminal", [("old-order", BEFORE)], GAME_START),
        invariant_result("no_order_charged_twice", "once", [], GAME_START),
    ]
    report = AuditReport(results, orders_checked=5, waited_s=1.234, since=GAME_START)
    report.orders_in_scope = 3
    assert report.passed
    assert report.to_dict() == {
        "passed": True,
        "orders_checked": 5,
        "orders_in_scope": 3,
        "since": "2026-05-01T12:00:00+00:00",
        "waited_s": 1.23,
        "invariants": [
            {
                "name": "orders_terminal",
                "description": "terminal",
                "passed": True,
                "offending": [],
                "inherited": ["old-order"],
            },
            {
                "name": "no_order_charged_twice",
                "description": "once",
                "passed": True,
                "offending": [],
                "inherited": [],
            },
        ],
    }
    text = format_report(report)
    assert "inherited (1): old-order" in text
    assert "3 of them since 2026-05-01T12:00:00+00:00" in text
    assert text.splitlines()[-1].startswith("RESULT: all invariants hold (1 inherited")


def test_audit_refuses_a_since_that_is_not_a_time(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "--since", "last tuesday"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--since: 'last tuesday' is not an ISO time" in err and "Traceback" not in err
