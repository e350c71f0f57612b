"""When people drive: hourly traffic curves, in local (Pacific) time.

Reads are spread over the simulated period in proportion to these curves, so rush hours
hold most reads and 3 a.m. few. The curves follow the usual shape of urban hourly volumes
(morning and evening peaks on weekdays, a midday hump at weekends); they are not fitted
to any count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

LOCAL_TIME = ZoneInfo("America/Los_Angeles")
HOUR_MS = 3_600_000

WEEKDAY = (0.8, 0.5, 0.4, 0.4, 0.7, 1.8, 4.3, 6.7, 6.6, 5.3, 5.0, 5.4,
           5.8, 5.8, 6.2, 7.0, 7.6, 7.8, 6.2, 4.6, 3.6, 2.9, 2.2, 1.4)
"""Percent of a weekday's traffic in each local hour."""

WEEKEND = (1.3, 0.9, 0.7, 0.4, 0.4, 0.7, 1.3, 2.1, 3.2, 4.3, 5.3, 5.9,
           6.1, 6.1, 6.0, 5.8, 5.6, 5.3, 4.7, 3.9, 3.2, 2.7, 2.2, 1.7)
"""Percent of a weekday's traffic in each local hour of Saturday or Sunday (lower total)."""


@dataclass(frozen=True)
class TrafficClock:
    """Hour bins of the period with their local hour, weekend flag and cumulative weight.

    Precondition: ``start`` is time-zone aware and ``days > 0``.
    """

    start_ms: int
    end_ms: int
    local_hour: NDArray[np.int64]
    weekend: NDArray[np.bool_]
    cumulative: NDArray[np.float64]
    edges_ms: NDArray[np.float64]

    @classmethod
    def over(cls, start: datetime, days: float) -> TrafficClock:
        if start.tzinfo is None:
            raise ValueError("start must be time-zone aware")
        if days <= 0:
            raise ValueError("days must be positive")
        start_ms = int(start.timestamp() * 1000)
        end_ms = start_ms + int(days * 86_400_000)
        bins = -(-(end_ms - start_ms) // HOUR_MS)
        hours: list[int] = []
        weekend: list[bool] = []
        first = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
        for i in range(bins):
            local = (first + timedelta(hours=i)).astimezone(LOCAL_TIME)
            hours.append(local.hour)
            weekend.append(local.weekday() >= 5)
        local_hour = np.asarray(hours, dtype=np.int64)
        is_weekend = np.asarray(weekend, dtype=np.bool_)
        weight = np.where(is_weekend, np.asarray(WEEKEND)[local_hour],
                          np.asarray(WEEKDAY)[local_hour])
        edges = np.minimum(start_ms + np.arange(bins + 1, dtype=np.float64) * HOUR_MS, end_ms)
        weight = weight * (np.diff(edges) / HOUR_MS)
        cumulative = np.concatenate([[0.0], np.cumsum(weight)])
        return cls(start_ms, end_ms, local_hour, is_weekend, cumulative, edges)

    def times(self, fraction: NDArray[np.float64]) -> NDArray[np.int64]:
        """Epoch milliseconds at cumulative traffic ``fraction`` (in [0, 1)) of the period."""
        at = np.interp(fraction * self.cumulative[-1], self.cumulative, self.edges_ms)
        return np.asarray(np.minimum(at.astype(np.int64), self.end_ms - 1), dtype=np.int64)

    def hour_bin(self, ts_ms: NDArray[np.int64]) -> NDArray[np.int64]:
        bins = np.clip((ts_ms - self.start_ms) // HOUR_MS, 0, len(self.local_hour) - 1)
        return np.asarray(bins, dtype=np.int64)
