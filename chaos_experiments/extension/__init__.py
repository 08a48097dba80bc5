"""Chaos Toolkit extension for the local platform.

Actions and probes act through the supervisor's control API (kill, stop, pause a
component) and the services' ``/admin/faults`` endpoints (latency, error rates). They
find the running platform from the experiment's configuration key ``harness_run_dir``,
or else from the harness state directory (``$HARNESS_STATE_DIR`` or ``.harness``).
"""

from importlib.metadata import PackageNotFoundError, version

from chaoslib.discovery.discover import (
    discover_actions,
    discover_probes,
    initialize_discovery_result,
)
from chaoslib.types import Discovery

__all__ = ["discover"]

EXTENSION_NAME = "chaos_experiments.extension"


def _version() -> str:
    try:
        return version("commerce-reliability-harness")
    except PackageNotFoundError:
        return "0"


def discover(discover_system: bool = True) -> Discovery:
    """What the extension offers: its exported actions and probes."""
    discovery = initialize_discovery_result(EXTENSION_NAME, _version(), "commerce-platform")
    discovery["activities"].extend(discover_actions(f"{EXTENSION_NAME}.actions"))
    discovery["activities"].extend(discover_probes(f"{EXTENSION_NAME}.probes"))
    return discovery
