"""The scorer on recorded Prometheus answers.

The metric source here replays answers a real Prometheus gave about the synthetic game
(tests/reports/synthetic.py; recorded by test_report_prometheus.py), so these tests
exercise the arithmetic without starting Prometheus.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.record import GameRecord
from reports.scoring import judged_segments, score_game, steady_segments
from reports.source import ReplaySource
from tests.reports.conftest import POLICY


def test_sli_budget_and_burn_rate_per_round_and_game(
    recorded_game: tuple[GameRecord, ReplaySource],
) -> None:
    record, source = recorded_game
    report = score_game(record, policy_path=POLICY, baseline=None, source=source)
    browse = report.slo("gateway/browse-availability")
    assert browse is not None
    # Game: 400 bad of 3000 browse requests over 300 s; objective 99.9%, period 1 h (game).
    assert browse.period_s == 3600
    assert browse.game.error_ratio == pytest.approx(400 / 3000)
    assert browse.game.burn_rate == pytest.approx((400 / 3000) / 0.001)
    assert browse.game.budget_burned == pytest.approx((400 / 3000) * 300 / (0.001 * 3600))
    assert browse.game.met is False
    # A round's window: its fault (80-110 s) and its 30 s recovery allowance.
    kill, latency = browse.rounds
    assert kill.window_s == 60 and kill.error_ratio == pytest.approx(400 / 600)
    assert kill.in_impact is True and latency.in_impact is False
    assert kill.significant and "400 bad of 600" in (kill.statistic or "")
    assert latency.error_ratio == 0
    slow = report.slo("gateway/browse-latency")
    # Its window: 190-240 s; browsing took 0.8 s in 20 of those 50 seconds.
    assert slow is not None and slow.rounds[1].error_ratio == pytest.approx(20 / 50)
    # Judged: everything but the kill round's fault and recovery; browsing was clean there.
    # (15-80 s and 130-300 s: the measured 10 s recovery plus the margin), 10 a second.
    assert browse.judged.error_ratio == 0 and browse.judged.events == pytest.approx(2350)
    assert browse.steady.error_ratio == 0 and browse.steady.met is True


def test_each_slo_is_judged_outside_only_the_rounds_that_declared_it(
    recorded_game: tuple[GameRecord, ReplaySource],
) -> None:
    record, _ = recorded_game
    t0 = record.started_at

    def relative(segments: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(a - t0, b - t0) for a, b in segments]

    # Ramp of 15 s; each fault (80-110 s, 190-210 s) plus its 30 s allowance and 10 s margin.
    assert relative(steady_segments(record)) == [(15, 80), (150, 190), (250, 300)]
    # A measured recovery (12 s after the first fault) gives the steady state back sooner.
    assert relative(steady_segments(record, [12.0, None])) == [(15, 80), (132, 190), (250, 300)]
    # Browsing availability was declared by the kill round only: the latency fault is judged.
    assert relative(judged_segments(record, "gateway/browse-availability")) == [
        (15, 80),
        (150, 300),
    ]
    # An SLO no round declared is judged over the whole game after the ramp.
    assert relative(judged_segments(record, "gateway/auth-availability")) == [(15, 300)]


def test_an_slo_burning_outside_the_declared_impact_fails_and_names_the_round(
    recorded_game: tuple[GameRecord, ReplaySource],
) -> None:
    record, source = recorded_game
    record.rounds[0].impact = []  # the kill round claims it burns nothing
    report = score_game(record, policy_path=POLICY, baseline=None, source=source)
    assert report.evaluation is not None
    objective = next(
        o for o in report.evaluation.objectives if o.id == "slo:gateway/browse-availability"
    )
    assert objective.status == "fail" and objective.key
    assert "outside the declared impact of round 'kill-product-service'" in objective.display
    assert objective.statistic and "binomial test" in objective.statistic
    assert report.evaluation.verdict == "fail"


def test_alert_detection_cross_check_and_noise(
    recorded_game: tuple[GameRecord, ReplaySource],
) -> None:
    record, source = recorded_game
    report = score_game(record, policy_path=POLICY, baseline=None, source=source)
    kill, latency = report.rounds
    detected = {a.alertname: a for a in kill.alerts}
    assert detected["TargetDown"].time_to_detect_s == 8
    assert detected["GatewayBrowseAvailabilityBudgetBurn"].time_to_detect_s == 17
    assert all(a.cross_check == "agree" for a in kill.alerts)
    # Prometheus fired the latency page but no notification reached the receiver.
    assert latency.alerts[0].fired is False and latency.alerts[0].cross_check == "prometheus-only"
    # The stray warm-up page is noise; the expected pages (and the repeat) are not.
    assert [p.alertname for p in report.noise.unexpected_pages] == ["CheckoutLatencyBudgetBurn"]


def test_recovery_is_measured_on_the_slos_the_fault_hit(
    recorded_game: tuple[GameRecord, ReplaySource],
) -> None:
    record, source = recorded_game
    report = score_game(record, policy_path=POLICY, baseline=None, source=source)
    kill, latency = report.rounds
    # Browsing kept failing 10 s after the fault ended; the step is 5 s.
    assert kill.recovery.slos == ["gateway/browse-availability"]
    assert kill.recovery.recovered and kill.recovery.recovery_s == pytest.approx(10, abs=5)
    # The latency fault hit browse latency, not availability: measured there.
    assert latency.recovery.slos == ["gateway/browse-latency"]
    assert latency.recovery.recovered


def test_each_fault_is_confirmed_by_its_evidence(
    recorded_game: tuple[GameRecord, ReplaySource],
) -> None:
    record, source = recorded_game
    report = score_game(record, policy_path=POLICY, baseline=None, source=source)
    kill, latency = report.rounds
    assert kill.confirmation.status == "confirmed" and kill.confirmation.value == 1
    assert latency.confirmation.status == "confirmed" and (latency.confirmation.value or 0) > 0


def test_missing_answers_mark_slo_results_unavailable(
    recorded_game: tuple[GameRecord, ReplaySource], tmp_path: Path
) -> None:
    record, _ = recorded_game
    empty = tmp_path / "empty.json"
    empty.write_text('{"instant": {}, "range": {}}')
    report = score_game(record, policy_path=POLICY, baseline=None, source=ReplaySource(empty))
    assert not report.prometheus_available
    assert all(not s.game.available for s in report.slos)
    assert report.timeline is None
    assert all(not r.recovery.available for r in report.rounds)
    assert all(r.confirmation.status == "inconclusive" for r in report.rounds)
    assert report.rounds[0].alerts[0].fired  # the receiver log still counts
    assert report.evaluation is not None and report.evaluation.verdict != "pass"
