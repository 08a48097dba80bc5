"""Kafka-protocol dev broker: librdkafka's mock cluster kept alive in its own process.

A confluent-kafka client configured with ``test.mock.num.brokers`` creates an in-memory
cluster that speaks the Kafka protocol over TCP. librdkafka chooses its port and logs
``Mock cluster ... bootstrap.servers=HOST:PORT`` when ``debug=mock``; we read that line,
print the address and write it to ``--address-file``. Topics are auto-created on first
use with 4 partitions. Data lives in memory: a restarted broker starts empty on a new
port; pausing the process (SIGSTOP) is how a broker outage is played without that.

    python -m harness.platform.devkafka --address-file .harness/kafka.addr
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
from pathlib import Path

ADDRESS_PATTERN = re.compile(r"Mock cluster .*bootstrap\.servers=([\w.\-]+:\d+)")


class _AddressCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.address: str | None = None
        self.found = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        match = ADDRESS_PATTERN.search(record.getMessage())
        if match and not self.found.is_set():
            self.address = match.group(1)
            self.found.set()


def start_mock_cluster(brokers: int = 1, timeout: float = 10.0) -> tuple[object, str]:
    """Create the mock cluster; returns the owning client (keep it alive) and the address."""
    from confluent_kafka import Producer

    catcher = _AddressCatcher()
    logger = logging.getLogger("devkafka.librdkafka")
    logger.propagate = False
    logger.addHandler(catcher)
    logger.setLevel(logging.DEBUG)
    owner = Producer(
        {
            "test.mock.num.brokers": brokers,
            "debug": "mock",
            "logger": logger,
        }
    )
    # Log lines are delivered from poll(); keep polling until the address shows up.
    waited = 0.0
    while not catcher.found.is_set() and waited < timeout:
        owner.poll(0.1)
        waited += 0.1
    if catcher.address is None:
        raise RuntimeError("librdkafka did not report the mock cluster address")
    logger.setLevel(logging.WARNING)
    return owner, catcher.address


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.platform.devkafka",
        description="Run librdkafka's Kafka-protocol mock cluster until stopped.",
    )
    parser.add_argument("--address-file", type=Path, help="write HOST:PORT here once up")
    parser.add_argument("--brokers", type=int, default=1, help="number of mock brokers")
    args = parser.parse_args(argv)

    owner, address = start_mock_cluster(args.brokers)
    if args.address_file:
        args.address_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.address_file.with_suffix(".tmp")
        tmp.write_text(address + "\n")
        tmp.replace(args.address_file)
    print(f"bootstrap.servers={address}", flush=True)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        owner.poll(0.5)  # type: ignore[attr-defined]
    if args.address_file:
        args.address_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
