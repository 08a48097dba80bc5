"""Pytest fixtures: the whole platform, started once per test session on free ports.

Use from a conftest.py: ``from harness.platform.testing import control, local_platform``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.platform.control import ControlClient
from harness.platform.processes import retry_on_port_taken
from harness.platform.seed import seed
from harness.platform.supervisor import Platform
from harness.platform.topology import PlatformOptions, Ports, build_topology

__all__ = ["control", "local_platform"]


@pytest.fixture(scope="session")
def local_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Every component ready, the demo catalog seeded; stopped at the end of the session."""
    run_dir = tmp_path_factory.mktemp("platform-run")

    def start() -> tuple[PlatformOptions, Platform]:
        options = PlatformOptions(run_dir=run_dir, ports=Ports.free())
        platform = Platform(build_topology(options))
        platform.start(timeout=120)  # stops what it started when it fails
        return options, platform

    options, platform = retry_on_port_taken(start)
    try:
        seed(platform.url("gateway"), options.admin_email, options.admin_password)
        yield platform
    finally:
        platform.stop()


@pytest.fixture(scope="session")
def control(local_platform: Platform) -> Iterator[ControlClient]:
    with ControlClient(local_platform.control_url, local_platform.token) as client:
        yield client
