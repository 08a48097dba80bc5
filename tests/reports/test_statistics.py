"""The tests behind the verdict, on counts whose answers are known."""

from __future__ import annotations

import pytest
from scipy import stats

from reports.statistics import error_ratio_regression, exceeds_ratio, latency_regression

CONFIDENCE = 0.98


def test_a_couple_of_stray_errors_do_not_prove_a_violated_slo() -> None:
    # 99.9 % objective, 1 200 requests, 2 errors: burn rate 1.7, but p = 0.34.
    finding = exceeds_ratio(2, 1200, 0.001, CONFIDENCE)
    assert not finding.significant
    assert finding.p_value == pytest.approx(0.337, abs=0.01)
    assert "2 bad of 1200" in finding.statistic


def test_two_percent_errors_on_browsing_are_a_violation() -> None:
    # The 2 %-5xx regression of the issue: 24 of 1 217 listings failed.
    finding = exceeds_ratio(24, 1217, 0.001, CONFIDENCE)
    assert finding.significant and finding.p_value < 1e-10
    assert finding.effect == pytest.approx((24 / 1217) / 0.001)


def test_no_events_is_not_evidence() -> None:
    finding = exceeds_ratio(0, 0, 0.01, CONFIDENCE)
    assert not finding.significant and finding.statistic == "no events"


def test_fisher_sees_a_rise_in_errors_and_measures_it_in_budgets() -> None:
    finding = error_ratio_regression(30, 1000, 2, 1000, budget=0.01, confidence=CONFIDENCE)
    assert finding.significant
    assert finding.effect == pytest.approx((0.03 - 0.002) / 0.01)
    assert finding.material(0.5)
    same = error_ratio_regression(3, 1000, 2, 1000, budget=0.01, confidence=CONFIDENCE)
    assert not same.significant and not same.material(0.5)


def test_mann_whitney_on_buckets_matches_scipy_on_the_samples() -> None:
    # Buckets are ordinal: 100 requests fast, this run pushes 40 of them two buckets up.
    base = [60, 30, 10, 0, 0]
    slower = [30, 20, 20, 20, 10]
    finding = latency_regression(slower, base, CONFIDENCE)
    expected = stats.mannwhitneyu(
        [0] * 30 + [1] * 20 + [2] * 20 + [3] * 20 + [4] * 10,
        [0] * 60 + [1] * 30 + [2] * 10,
        alternative="greater",
    )
    assert finding.p_value == pytest.approx(expected.pvalue)
    assert finding.significant and finding.effect > 0.3
    assert finding.material(0.1)


def test_the_same_latency_is_not_a_regression() -> None:
    finding = latency_regression([50, 30, 20], [52, 29, 19], CONFIDENCE)
    assert not finding.significant
    assert abs(finding.effect) < 0.05
    assert not latency_regression([40, 0], [40, 0], CONFIDENCE).significant  # all tied
