"""Alerts of a game: what the receiver recorded (harness/platform/receiver.py) and what
Prometheus' ``ALERTS`` series says, attributed to the rounds that caused them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.model import AlertDetection, AlertSpan, Page
from reports.record import GameRecord, RoundRecord


@dataclass(frozen=True)
class Notification:
    alertname: str
    status: str
    severity: str
    received_at: float
    starts_at: str | None
    fingerprint: str
    labels: dict[str, str]


def read_alert_log(path: Path) -> tuple[list[Notification], list[str]]:
    """The notifications of a receiver log, and a note per line that could not be read."""
    notifications: list[Notification] = []
    notes: list[str] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry: dict[str, Any] = json.loads(line)
            labels = {str(k): str(v) for k, v in (entry.get("labels") or {}).items()}
            notifications.append(
                Notification(
                    alertname=labels.get("alertname", ""),
                    status=str(entry.get("status", "")),
                    severity=labels.get("severity", ""),
                    received_at=float(entry["received_at"]),
                    starts_at=entry.get("starts_at"),
                    fingerprint=str(entry.get("fingerprint", "")),
                    labels=labels,
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            notes.append(f"{path}:{number}: unreadable alert notification skipped")
    return sorted(notifications, key=lambda n: n.received_at), notes


def attribution_windows(record: GameRecord) -> list[tuple[float, float]]:
    """Per round: from the fault's start (or the round's) until the next round starts
    (or the game ends). An alert in this span is the round's doing."""
    windows = []
    for index, game_round in enumerate(record.rounds):
        start = game_round.fault_started_at or game_round.started_at
        following = record.rounds[index + 1].started_at if index + 1 < len(record.rounds) else None
        windows.append((start, following if following is not None else record.ended_at))
    return windows


def firing_spans(alerts_series: list[dict[str, Any]], step_s: float) -> list[AlertSpan]:
    """Contiguous firing spans of each alert name from a range query of ``ALERTS``."""
    by_name: dict[str, set[float]] = {}
    for series in alerts_series:
        name = series.get("metric", {}).get("alertname", "")
        by_name.setdefault(name, set()).update(float(t) for t, _ in series.get("values", []))
    spans = []
    for name, times in sorted(by_name.items()):
        ordered = sorted(times)
        start = previous = ordered[0]
        for t in ordered[1:]:
            if t - previous > step_s * 1.5:
                spans.append(AlertSpan(alertname=name, start=start, end=previous))
                start = t
            previous = t
        spans.append(AlertSpan(alertname=name, start=start, end=previous))
    return spans


def detect(
    game_round: RoundRecord,
    window: tuple[float, float],
    notifications: list[Notification] | None,
    spans: list[AlertSpan] | None,
) -> list[AlertDetection]:
    """For each expected alert of a round: the first firing notification in the round's
    window and the first firing ``ALERTS`` sample, and whether the two agree. ``None``
    means that source is unavailable."""
    start, end = window
    detections = []
    for name in game_round.expected_alerts:
        notified = None
        if notifications is not None:
            notified = next(
                (
                    n.received_at
                    for n in notifications
                    if n.alertname == name
                    and n.status == "firing"
                    and start <= n.received_at <= end
                ),
                None,
            )
        in_prometheus = None
        if spans is not None:
            in_prometheus = next(
                (
                    max(s.start, start)
                    for s in spans
                    if s.alertname == name and s.start <= end and s.end >= start
                ),
                None,
            )
        if notifications is None or spans is None:
            check = "unavailable"
        elif notified is not None and in_prometheus is not None:
            check = "agree"
        elif notified is not None:
            check = "receiver-only"
        elif in_prometheus is not None:
            check = "prometheus-only"
        else:
            check = "neither"
        detections.append(
            AlertDetection(
                alertname=name,
                fired=notified is not None,
                notified_at=notified,
                time_to_detect_s=None if notified is None else round(notified - start, 3),
                prometheus_firing_at=in_prometheus,
                cross_check=check,
            )
        )
    return detections


@dataclass(frozen=True)
class Allowance:
    """What a round may page with: alert names, and the symptom pages (those of no SLO)
    of these services. An SLO's burn page is allowed by name only."""

    names: set[str]
    services: set[str]

    def covers(self, note: Notification) -> bool:
        if note.alertname in self.names:
            return True
        return "slo_name" not in note.labels and note.labels.get("service") in self.services


def unexpected_pages(
    record: GameRecord,
    notifications: list[Notification],
    allowed: list[Allowance] | None = None,
    not_before: float | None = None,
) -> list[Page]:
    """Firing pages that no round allowed at that time: noise. ``allowed`` is, per round,
    what it may page with (default: its expected alerts). Pages before ``not_before``
    (the ramp of the game, whose windows reach back before the load) are not judged. An
    alert that Alertmanager re-sends (same fingerprint and start) counts once."""
    windows = attribution_windows(record)
    per_round = allowed or [Allowance(set(r.expected_alerts), set()) for r in record.rounds]
    seen: set[tuple[str, str | None]] = set()
    pages = []
    for note in notifications:
        if note.status != "firing" or note.severity != "page":
            continue
        if not_before is not None and note.received_at < not_before:
            continue
        identity = (note.fingerprint or json.dumps(note.labels, sort_keys=True), note.starts_at)
        if identity in seen:
            continue
        seen.add(identity)
        expected = any(
            allowance.covers(note) and start <= note.received_at <= end
            for allowance, (start, end) in zip(per_round, windows, strict=True)
        )
        if not expected:
            pages.append(
                Page(alertname=note.alertname, received_at=note.received_at, labels=note.labels)
            )
    return pages
