"""Cold-start benchmark: `harness up` to all-ready, beside bare PostgreSQL.

Each round uses a new, empty state directory (so initdb runs every time) and free
ports. Prints the median of N rounds of each, and their ratio. Target: all ready
within 8 s on a 2-core machine.

    .venv/bin/python scripts/bench_up.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.platform import postgres
from harness.platform.processes import free_ports

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 8.0


def bare_postgres(workdir: Path) -> float:
    """initdb + server start + first successful query, on an empty data directory."""
    port = free_ports(1)[0]
    started = time.monotonic()
    server = postgres.start_server(workdir / "pg", port, subprocess.DEVNULL)
    try:
        postgres.wait_ready(port)
        return time.monotonic() - started
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


def cold_up(workdir: Path) -> float:
    """From launching `harness up` until it has reported every component ready."""
    state = workdir / "state"
    started = time.monotonic()
    harness = subprocess.Popen(
        [sys.executable, "-m", "harness", "up", "--free-ports", "--no-seed",
         "--state-dir", str(state)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    marker = state / "runs" / "latest" / "ready"
    try:
        while not marker.exists():
            if harness.poll() is not None:
                raise SystemExit(f"harness up exited with {harness.returncode}; see {state}")
            time.sleep(0.02)
        return time.monotonic() - started
    finally:
        harness.send_signal(signal.SIGINT)
        harness.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    up_times, pg_times = [], []
    for round_number in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="bench-up-") as tmp:
            pg_times.append(bare_postgres(Path(tmp)))
        with tempfile.TemporaryDirectory(prefix="bench-up-") as tmp:
            up_times.append(cold_up(Path(tmp)))
        print(f"round {round_number}: harness up {up_times[-1]:.2f}s, "
              f"bare PostgreSQL {pg_times[-1]:.2f}s", flush=True)  # fmt: skip
    up, pg = statistics.median(up_times), statistics.median(pg_times)
    verdict = "within" if up <= TARGET_S else "OVER"
    print(f"median of {args.rounds}: harness up {up:.2f}s | bare PostgreSQL {pg:.2f}s | "
          f"ratio {up / pg:.1f}x | target {TARGET_S:.0f}s: {verdict}")  # fmt: skip
    return 0 if up <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
