from harness.platform.testing import control, local_platform

__all__ = ["control", "local_platform"]
