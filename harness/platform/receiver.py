"""The alert receiver: every Alertmanager webhook notification, recorded for scoring.

One JSON line per alert in ``alerts.jsonl`` of the run directory: when it was received,
its status (firing/resolved), labels, annotations and Alertmanager's own timestamps.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class AlertLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[dict[str, Any]] = []
        # An empty log says "no alert arrived"; a missing one, "nothing was listening".
        path.touch(exist_ok=True)

    def record(self, notification: dict[str, Any]) -> int:
        """Store the alerts of one webhook notification; return how many."""
        received_at = time.time()
        alerts = notification.get("alerts") or []
        with self.path.open("a") as handle:
            for alert in alerts:
                record = {
                    "received_at": received_at,
                    "receiver": notification.get("receiver", ""),
                    "status": alert.get("status", notification.get("status", "")),
                    "labels": alert.get("labels") or {},
                    "annotations": alert.get("annotations") or {},
                    "starts_at": alert.get("startsAt"),
                    "ends_at": alert.get("endsAt"),
                    "fingerprint": alert.get("fingerprint", ""),
                }
                self.records.append(record)
                handle.write(json.dumps(record, sort_keys=True) + "\n")
        return len(alerts)
