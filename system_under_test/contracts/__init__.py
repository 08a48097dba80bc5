"""The services' published API contract: one OpenAPI document, generated from their
routes (``python -m system_under_test.contracts``) and committed, so a change to the
public API shows up in review and ``--check`` fails when the file is stale.

The gateway publishes the public API from it (its ``/openapi.json``): the operations
of its route table, with the security and the answers the gateway itself adds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SERVICES_CONTRACT = Path(__file__).with_name("services.openapi.json")


def load_services_contract(path: Path = SERVICES_CONTRACT) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document
