"""Transactional outbox: events are stored with the domain change, then relayed to Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import propagate
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import Database
from ..logs import request_id_var
from ..metrics import EVENTS_PUBLISHED, OUTBOX_PENDING
from .events import Event

log = logging.getLogger(__name__)

BATCH_SIZE = 200
IDLE_POLL_S = 0.2
SEND_TIMEOUT_S = 10.0
MAX_BACKOFF_S = 5.0
BACKLOG_REFRESH_S = 1.0


def new_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        request_timeout_ms=5000,
        linger_ms=2,
    )


def trace_headers() -> dict[str, str]:
    """W3C trace context and the request id of the current request, for the message."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if request_id_var.get():
        carrier["x-request-id"] = request_id_var.get()
    return carrier


async def add_to_outbox(session: AsyncSession, outbox: Table, event: Event) -> None:
    """Stage an event in the caller's transaction; it is published only if that commits."""
    await session.execute(
        outbox.insert().values(
            event_id=event.id,
            topic=event.topic,
            key=str(event.order_id),
            type=event.type,
            body=json.loads(event.model_dump_json()),
            headers=trace_headers(),
        )
    )


class OutboxRelay:
    """Publishes pending outbox rows in insertion order and marks them sent.

    While the broker is unreachable it backs off and retries; rows stay pending and
    ``outbox_pending_events`` shows the backlog.
    """

    def __init__(self, service: str, db: Database, outbox: Table, bootstrap_servers: str) -> None:
        self.service = service
        self.db = db
        self.outbox = outbox
        self.bootstrap_servers = bootstrap_servers
        self.wake = asyncio.Event()
        self._gauge = OUTBOX_PENDING.labels(service)

    async def run(self) -> None:
        watcher = asyncio.create_task(self._watch_backlog(), name="outbox-backlog")
        try:
            await self._relay()
        finally:
            watcher.cancel()

    async def _watch_backlog(self) -> None:
        """Count the backlog on its own clock: a publish stuck on a dead broker must not
        freeze the gauge that shows the outage."""
        while True:
            await self._refresh_gauge()
            await asyncio.sleep(BACKLOG_REFRESH_S)

    async def _relay(self) -> None:
        producer: AIOKafkaProducer | None = None
        backoff = 0.2
        try:
            while True:
                try:
                    if producer is None:
                        producer = new_producer(self.bootstrap_servers)
                        await asyncio.wait_for(producer.start(), SEND_TIMEOUT_S)
                    sent = await self.publish_batch(producer)
                    backoff = 0.2
                    if sent < BATCH_SIZE:
                        await self._idle()
                except (KafkaError, TimeoutError, OSError) as exc:
                    log.warning(
                        "outbox relay cannot publish, retrying in %.1fs: %s",
                        backoff,
                        exc or type(exc).__name__,
                    )
                    if producer is not None:
                        await stop_quietly(producer)
                        producer = None
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
        finally:
            if producer is not None:
                await stop_quietly(producer)

    async def _idle(self) -> None:
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), IDLE_POLL_S)

    async def _refresh_gauge(self) -> None:
        try:
            async with self.db.session() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(self.outbox)
                    .where(self.outbox.c.published_at.is_(None))
                )
            self._gauge.set(pending or 0)
        except Exception as exc:  # the database may be down too; the gauge keeps its value
            log.debug("cannot count pending outbox rows: %s", exc)

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        ob = self.outbox
        async with self.db.session() as session, session.begin():
            rows = (
                await session.execute(
                    select(ob.c.seq, ob.c.topic, ob.c.key, ob.c.body, ob.c.headers)
                    .where(ob.c.published_at.is_(None))
                    .order_by(ob.c.seq)
                    .limit(BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if rows:
                # send() queues in order; the idempotent producer keeps that order per partition.
                futures = [
                    await producer.send(
                        row.topic,
                        value=json.dumps(row.body).encode(),
                        key=row.key.encode(),
                        headers=[(k, str(v).encode()) for k, v in row.headers.items()],
                    )
                    for row in rows
                ]
                await asyncio.wait_for(asyncio.gather(*futures), SEND_TIMEOUT_S)
                await session.execute(
                    update(ob)
                    .where(ob.c.seq.in_([row.seq for row in rows]))
                    .values(published_at=func.now())
                )
                for row in rows:
                    EVENTS_PUBLISHED.labels(self.service, row.topic, "ok").inc()
        return len(rows)


async def stop_quietly(producer: Any) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 5)
    except Exception as exc:
        log.debug("producer stop failed: %s", exc)
