"""The scorer against a real Prometheus holding the synthetic game (backfilled with
promtool). With UPDATE_FIXTURES=1 it also records Prometheus' answers into
tests/reports/data/, the fixtures of the fast scorer tests."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reports.scoring import score_game
from reports.source import PrometheusSource, RecordingSource
from tests.reports.conftest import DATA, POLICY, BackfilledPrometheus

pytestmark = pytest.mark.slow  # starts servers


def test_scores_the_synthetic_game_from_a_real_prometheus(
    backfilled_prometheus: BackfilledPrometheus,
) -> None:
    recorder = RecordingSource(PrometheusSource(backfilled_prometheus.url))
    record = backfilled_prometheus.record()
    report = score_game(record, policy_path=POLICY, baseline=None, source=recorder)

    assert report.prometheus_available, report.notes
    browse = report.slo("gateway/browse-availability")
    assert browse is not None
    # 8 of 60 steps of browsing failed: 400 of 3000 requests.
    assert browse.game.error_ratio == pytest.approx(400 / 3000, rel=1e-6)
    assert browse.steady.burn_rate == 0
    kill, latency = report.rounds
    assert kill.recovery.recovery_s == pytest.approx(10, abs=5)
    assert [a.cross_check for a in kill.alerts] == ["agree", "agree"]
    assert latency.alerts[0].cross_check == "prometheus-only"
    assert report.timeline is not None and len(report.timeline.series) == len(report.slos)
    assert [r.confirmation.status for r in report.rounds] == ["confirmed", "confirmed"]

    # The blast-radius variant the fast tests judge: the kill round declares nothing.
    undeclared = record.model_copy(deep=True)
    undeclared.rounds[0].impact = []
    blamed = score_game(undeclared, policy_path=POLICY, baseline=None, source=recorder)
    assert blamed.evaluation is not None and blamed.evaluation.verdict == "fail"

    if os.environ.get("UPDATE_FIXTURES"):
        DATA.mkdir(exist_ok=True)
        recorder.save(DATA / "prometheus.json")
        shutil.copy(backfilled_prometheus.alerts_log, DATA / "alerts.jsonl")
        record.alerts_log = "alerts.jsonl"
        record.save(DATA / "game.json")


def test_a_prometheus_that_is_gone_leaves_slo_results_unavailable(
    backfilled_prometheus: BackfilledPrometheus, tmp_path: Path
) -> None:
    record = backfilled_prometheus.record()
    record.prometheus_url = "http://127.0.0.1:9"  # discard port: nothing listens
    report = score_game(record, policy_path=POLICY, baseline=None)

    assert not report.prometheus_available
    assert all(not s.game.available and not s.steady.available for s in report.slos)
    assert any("not reachable" in note for note in report.notes)
    # What the record holds is still scored: alerts from the receiver log, the audit.
    assert report.rounds[0].alerts[0].fired
    assert report.rounds[0].alerts[0].cross_check == "unavailable"
    assert report.evaluation is not None and report.evaluation.verdict == "fail"
    assert json.loads(report.model_dump_json())["integrity"]["passed"] is True
