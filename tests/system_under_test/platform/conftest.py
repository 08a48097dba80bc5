from __future__ import annotations

import pytest
from shop import Shop

from harness.platform.supervisor import Platform


@pytest.fixture(scope="session")
def shop(local_platform: Platform) -> Shop:
    return Shop(local_platform.url("gateway"))
