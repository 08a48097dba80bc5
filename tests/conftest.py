"""Session-wide fixtures: one real platform (embedded PostgreSQL, dev Kafka broker,
the services, Prometheus, Alertmanager) shared by every test that asks for it."""

from harness.platform.testing import control, local_platform

__all__ = ["control", "local_platform"]
