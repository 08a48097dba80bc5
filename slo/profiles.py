"""Generation profiles: `default` (real periods) and `game` (a 30d SLO lived in one hour).

The game profile scales every period to `game_period` and every window by the same factor,
so the workbook's alert semantics survive: a 14.4x burn still spends 2% of the (now one
hour) budget before the page fires. Windows never go below `min_window`, because a rate
needs several scrapes to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from slo.model import CALENDAR_MONTH_NOMINAL_SECONDS, SLO


@dataclass(frozen=True)
class Profile:
    name: str
    game_period: int | None = None  # seconds; None keeps real periods
    min_window: int = 0  # seconds
    evaluation_interval: int | None = None  # rule-group interval; None = Prometheus global

    @property
    def scaled(self) -> bool:
        return self.game_period is not None

    def factor(self, period_seconds: int) -> Fraction:
        if self.game_period is None:
            return Fraction(1)
        return Fraction(self.game_period, period_seconds)

    def window(self, slo: SLO, nominal: int) -> int:
        """The real length of an SLO window that is `nominal` seconds in a default run."""
        return self._scale(nominal, self.factor(slo.nominal_period_seconds))

    def duration(self, nominal: int) -> int:
        """A `for:`/range duration of a non-SLO alert, scaled like a 30-day SLO's windows."""
        return self._scale(nominal, self.factor(CALENDAR_MONTH_NOMINAL_SECONDS))

    def _scale(self, nominal: int, factor: Fraction) -> int:
        if factor == 1:
            return nominal
        return max(self.min_window, round(nominal * factor))


DEFAULT = Profile("default")
# 30d -> 1h is a factor 1/720: 5m would be 0.4s, so windows are floored at 30s, which holds
# at least 4 samples when the game day scrapes every 5s or faster (a rate needs two).
GAME = Profile("game", game_period=3600, min_window=30, evaluation_interval=5)
PROFILES = {profile.name: profile for profile in (DEFAULT, GAME)}
