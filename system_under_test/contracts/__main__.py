"""``python -m system_under_test.contracts [--check]``: write or check the contract."""

from __future__ import annotations

import argparse
import json
import sys

from . import SERVICES_CONTRACT
from .generate import services_document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m system_under_test.contracts",
        description=f"Generate the services' OpenAPI contract into {SERVICES_CONTRACT.name}.",
    )
    parser.add_argument(
        "--check", action="store_true", help="fail (exit 1) when the committed file is stale"
    )
    args = parser.parse_args(argv)
    text = json.dumps(services_document(), indent=2) + "\n"
    current = SERVICES_CONTRACT.read_text(encoding="utf-8") if SERVICES_CONTRACT.exists() else ""
    if args.check:
        if current != text:
            print(
                f"error: {SERVICES_CONTRACT} is stale; regenerate it with "
                "`python -m system_under_test.contracts`",
                file=sys.stderr,
            )
            return 1
        print(f"{SERVICES_CONTRACT.name} is current")
        return 0
    SERVICES_CONTRACT.write_text(text, encoding="utf-8")
    print(f"wrote {SERVICES_CONTRACT}")
    return 0


sys.exit(main())
