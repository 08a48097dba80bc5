"""Load-generator benchmark: Locust (FastHttpUser) beside wrk on the gateway's /healthz.

Both hit the same route of the same gateway in the same run, one after the other, for
the same time with the same number of connections. Prints each one's requests per
second and the ratio Locust / wrk. Without --gateway, starts a gateway alone on a free
port (health routes need no upstream).

    .venv/bin/python scripts/bench_load.py [--gateway URL] [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.platform.supervisor import Platform
from harness.platform.topology import PlatformOptions, Ports, build_topology

# The bench's own locustfile: one user class that requests /healthz with no pause.
HEALTH_LOCUSTFILE = """
from locust import FastHttpUser, constant, task


class HealthCheck(FastHttpUser):
    wait_time = constant(0)

    @task
    def healthz(self):
        self.client.get("/healthz")
"""


@contextmanager
def gateway_only(workdir: Path) -> Iterator[str]:
    platform = Platform(
        build_topology(
            PlatformOptions(run_dir=workdir / "run", ports=Ports.free(), only=("gateway",))
        )
    )
    platform.start(timeout=60)
    try:
        yield platform.url("gateway")
    finally:
        platform.stop()


def wrk_rps(url: str, seconds: int, connections: int) -> float:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("bench_load: wrk is not installed (Debian package `wrk`)")
    output = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", f"{url}/healthz"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        sys.exit(f"bench_load: cannot read wrk's output:\n{output}")
    if "Non-2xx" in output:
        print("warning: wrk saw non-2xx responses", file=sys.stderr)
    return float(match.group(1))


def locust_rps(url: str, seconds: int, users: int, workdir: Path) -> float:
    locustfile = workdir / "health_locustfile.py"
    locustfile.write_text(HEALTH_LOCUSTFILE)
    prefix = workdir / "locust"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(locustfile),
            "--headless",
            "--host",
            url,
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--logfile",
            str(workdir / "locust.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,  # a failed request makes the exit code 1; the numbers still count
    )
    with (workdir / "locust_stats.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                if int(row["Failure Count"]):
                    print(f"warning: Locust saw {row['Failure Count']} failures", file=sys.stderr)
                return float(row["Requests/s"])
    sys.exit("bench_load: Locust wrote no aggregated stats")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", metavar="URL", help="an already running gateway")
    parser.add_argument("--seconds", type=int, default=10, help="per tool (default 10)")
    parser.add_argument(
        "--connections", type=int, default=32, help="wrk connections = Locust users"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        workdir = Path(tmp)
        with gateway_only(workdir) if args.gateway is None else _given(args.gateway) as url:
            wrk = wrk_rps(url, args.seconds, args.connections)
            locust = locust_rps(url, args.seconds, args.connections, workdir)
    print(f"wrk:    {wrk:10.1f} requests/s")
    print(f"locust: {locust:10.1f} requests/s (FastHttpUser, one process)")
    print(f"ratio locust/wrk: {locust / wrk:.2f}")
    return 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rstrip("/")


if __name__ == "__main__":
    sys.exit(main())
