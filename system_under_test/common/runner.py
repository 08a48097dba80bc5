"""Thin ``python -m system_under_test.<service>`` entry point: migrate, then serve."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from .database import upgrade_to_head
from .settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on request headers.

    uvicorn times out idle keep-alive connections but not a request whose headers
    trickle in (slowloris): such a client would hold its connection forever. Here the
    headers of each request must be complete ``header_timeout_s`` after its first byte
    (or after the connection opened); otherwise the client gets a 408 and is cut off.
    """

    header_timeout_s = 10.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        if self._header_deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm_header_deadline()  # the first bytes of the next request
        super().data_received(data)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's headers are complete
            self._disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()


def http_protocol(header_timeout_s: float) -> type[H11Protocol]:
    return type(
        "HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout_s": header_timeout_s}
    )


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
        http=http_protocol(settings.header_timeout_s),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return 0
