"""Thin ``python -m system_under_test.<service>`` entry point: migrate, then serve."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from .database import upgrade_to_head
from .settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def service_main(
    settings_factory: Callable[[], S],
    app_factory: Callable[[S], FastAPI],
    migrations_dir: Path | None,
    argv: list[str] | None = None,
) -> int:
    settings = settings_factory()
    parser = argparse.ArgumentParser(
        prog=f"python -m system_under_test.{settings.service_name.replace('-', '_')}",
        description=f"Run the {settings.service_name}.",
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "migrate"],
        help="serve (default; migrates first unless --no-migrate) or only migrate",
    )
    parser.add_argument("--no-migrate", action="store_true", help="skip migrations on serve")
    args = parser.parse_args(argv)
    if migrations_dir is not None and (args.command == "migrate" or not args.no_migrate):
        if not settings.database_url:
            print(f"error: {settings.service_name}: no database URL configured", file=sys.stderr)
            return 2
        upgrade_to_head(migrations_dir, settings.database_url)
    if args.command == "migrate":
        return 0
    uvicorn.run(
        app_factory(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return 0
