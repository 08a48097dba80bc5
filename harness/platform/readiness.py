"""Readiness checks: each answers "ready?" once, raising NotReady with the reason if not.

A check may publish facts (values other components need, such as the dev broker's
address) by returning them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx


class NotReady(Exception):
    """The component is not ready yet; the message says why."""


class ReadinessCheck(Protocol):
    async def check(self) -> dict[str, str]: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class HttpOk:
    url: str

    async def check(self) -> dict[str, str]:
        try:
            async with httpx.AsyncClient(timeout=1.0) as client:
                response = await client.get(self.url)
        except httpx.HTTPError as exc:
            raise NotReady(f"GET {self.url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise NotReady(f"GET {self.url}: HTTP {response.status_code} {response.text[:200]}")
        return {}

    def describe(self) -> str:
        return f"GET {self.url} -> 200"


@dataclass(frozen=True)
class PostgresReady:
    """Accepts connections, and every service has its role and database."""

    port: int
    services: Sequence[str]

    async def check(self) -> dict[str, str]:
        import psycopg

        from harness.platform.postgres import ensure_databases, wait_ready

        def probe() -> None:
            wait_ready(self.port, timeout=0.5)
            ensure_databases(self.port, self.services)

        try:
            await asyncio.to_thread(probe)
        except (TimeoutError, OSError, psycopg.Error) as exc:
            raise NotReady(str(exc)) from exc
        return {}

    def describe(self) -> str:
        return f"PostgreSQL on port {self.port} with databases for {', '.join(self.services)}"


@dataclass(frozen=True)
class AddressFile:
    """A process that picks its own port writes ``HOST:PORT`` to a file once it listens."""

    path: Path
    fact: str

    async def check(self) -> dict[str, str]:
        try:
            address = self.path.read_text().strip()
        except FileNotFoundError:
            raise NotReady(f"{self.path} not written yet") from None
        if not address:
            raise NotReady(f"{self.path} is empty")
        host, _, port = address.rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 1.0)
        except (OSError, ValueError, TimeoutError) as exc:
            raise NotReady(f"{address} from {self.path} does not accept connections") from exc
        writer.close()
        return {self.fact: address}

    def describe(self) -> str:
        return f"address written to {self.path}"
