"""The tests behind a verdict: is an SLO violated, did a metric regress against a baseline.

Each answer carries the statistic people read in the report, so a failing objective
shows why. The defaults follow Kayenta's judge (98 % confidence, plus a minimum effect
size, so that a difference which is significant but tiny does not fail a release):

- an SLO over a stretch of time: an exact one-sided binomial test of "the error ratio
  is above the objective's budget" on the (bad, total) event counts;
- an error ratio against a baseline run: Fisher's exact test on the two 2x2 counts, one
  sided (this run worse), with the effect measured in error-budget units;
- latency against a baseline run: a Mann-Whitney U (rank) test on the histograms'
  bucket counts (requests in one bucket are ties), with the rank-biserial correlation
  as the effect size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# scipy.stats is imported where a test runs: it takes half a second to load, and every
# `harness` command loads this module (through the gate) while only scoring tests.


@dataclass(frozen=True)
class Finding:
    """A one-sided test: ``significant`` at the stated confidence, and how big it is."""

    significant: bool
    p_value: float
    effect: float
    statistic: str  # what the report prints, e.g. "binomial p=0.003 (bad 12 of 900)"

    def material(self, min_effect: float) -> bool:
        """Significant and at least as large as the minimum effect that matters."""
        return self.significant and self.effect >= min_effect


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-4 else "<1e-4"


def exceeds_ratio(bad: int, total: int, ratio: float, confidence: float) -> Finding:
    """Is the true error ratio above ``ratio``? Exact binomial test on the counts.

    The effect is the observed ratio over ``ratio`` (2.0: twice the allowed errors).
    """
    if total <= 0:
        return Finding(False, 1.0, 0.0, "no events")
    bad = min(max(bad, 0), total)
    from scipy import stats

    p_value = float(stats.binomtest(bad, total, ratio, alternative="greater").pvalue)
    effect = (bad / total) / ratio if ratio > 0 else math.inf
    return Finding(
        p_value < 1 - confidence,
        p_value,
        effect,
        f"binomial test: {bad} bad of {total} vs at most {ratio:.4%} allowed, p={_p(p_value)}",
    )


def error_ratio_regression(
    bad: int, total: int, base_bad: int, base_total: int, budget: float, confidence: float
) -> Finding:
    """Has the error ratio risen against the baseline? Fisher's exact test, one sided.

    The effect is the rise in error-budget units: 0.5 means the run burns half a budget
    more than the baseline did.
    """
    if total <= 0 or base_total <= 0:
        return Finding(False, 1.0, 0.0, "no events to compare")
    table = [[bad, total - bad], [base_bad, base_total - base_bad]]
    from scipy import stats

    p_value = float(stats.fisher_exact(table, alternative="greater").pvalue)
    effect = (bad / total - base_bad / base_total) / budget
    return Finding(
        p_value < 1 - confidence,
        p_value,
        effect,
        f"Fisher's exact test: {bad}/{total} vs baseline {base_bad}/{base_total}, "
        f"p={_p(p_value)}, +{effect:.2f} budget",
    )


def latency_regression(
    counts: Sequence[float], base_counts: Sequence[float], confidence: float
) -> Finding:
    """Are requests slower than in the baseline? Mann-Whitney U on bucket counts.

    ``counts`` are requests per histogram bucket, fastest first, in the same buckets for
    both runs. The effect is the rank-biserial correlation r = 2U / (n1 n2) - 1: 0 is no
    shift, 1 means every request of this run was slower than every baseline request.
    """
    this = np.repeat(np.arange(len(counts)), np.round(np.asarray(counts)).astype(int))
    base = np.repeat(np.arange(len(base_counts)), np.round(np.asarray(base_counts)).astype(int))
    if this.size == 0 or base.size == 0:
        return Finding(False, 1.0, 0.0, "no requests to compare")
    if np.all(this == this[0]) and np.all(base == this[0]):
        return Finding(False, 1.0, 0.0, "every request in one bucket in both runs")
    from scipy import stats

    result = stats.mannwhitneyu(this, base, alternative="greater", method="asymptotic")
    u = float(result.statistic)
    effect = 2 * u / (this.size * base.size) - 1
    p_value = float(result.pvalue)
    return Finding(
        p_value < 1 - confidence,
        p_value,
        effect,
        f"Mann-Whitney U={u:.0f} over {this.size} vs {base.size} requests, "
        f"p={_p(p_value)}, rank-biserial r={effect:+.2f}",
    )
