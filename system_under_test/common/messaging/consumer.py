"""Idempotent event consumer: inbox row + effect in one transaction, then the offset.

Redelivered events find their id in the inbox and are acknowledged without effect.
Poison messages go to ``<topic>.dlq`` with the reason and never block a partition.
Transient failures (database, broker, a peer down) are retried from the same offset.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends
from opentelemetry import propagate, trace
from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import Database
from ..faults import admin_guard
from ..logs import request_id_var
from ..metrics import EVENTS_CONSUMED
from .events import Event, PoisonEvent, dead_letter_topic, parse_event
from .outbox import new_producer, stop_quietly

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
MAX_HANDLER_ATTEMPTS = 5
MAX_BACKOFF_S = 5.0


class TransientError(Exception):
    """Raised by a handler when a dependency is down: retry the event, never dead-letter."""


_TRANSIENT = (TransientError, OperationalError, DBAPIError, OSError, TimeoutError, KafkaError)


class ConsumerFaults(BaseModel):
    """Chaos knob: exit the process right after the next effect commits, before the
    offset commit, to prove that redelivery has no second effect."""

    crash_after_next_effect: bool = False


class EventConsumer:
    def __init__(
        self,
        service: str,
        db: Database,
        inbox: Table,
        bootstrap_servers: str,
        handlers: dict[str, Handler],
    ) -> None:
        self.service = service
        self.db = db
        self.inbox = inbox
        self.bootstrap_servers = bootstrap_servers
        self.handlers = handlers
        self.topics = sorted({_topic_of(t) for t in handlers})
        self.faults = ConsumerFaults()
        self._attempts: dict[tuple[str, int, int], int] = {}
        self._dlq_producer: AIOKafkaProducer | None = None

    def admin_router(self, admin_token: str) -> APIRouter:
        router = APIRouter(
            prefix="/admin/consumer",
            tags=["admin"],
            dependencies=[Depends(admin_guard(admin_token))],
        )

        @router.get("")
        async def get_faults() -> ConsumerFaults:
            return self.faults

        @router.put("")
        async def set_faults(faults: ConsumerFaults) -> ConsumerFaults:
            self.faults = faults
            return self.faults

        return router

    async def run(self) -> None:
        backoff = 0.2
        while True:
            consumer = AIOKafkaConsumer(
                *self.topics,
                bootstrap_servers=self.bootstrap_servers,
                group_id=self.service,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=6000,
                heartbeat_interval_ms=2000,
                request_timeout_ms=10000,
            )
            try:
                await asyncio.wait_for(consumer.start(), 15)
                backoff = 0.2
                await self._consume(consumer)
            except (KafkaError, TimeoutError, OSError) as exc:
                log.warning("consumer cannot reach the broker, retrying in %.1fs: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
            finally:
                await stop_quietly(consumer)
                if self._dlq_producer is not None:
                    await stop_quietly(self._dlq_producer)
                    self._dlq_producer = None

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        backoff = 0.2
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=100)
            for tp, messages in batch.items():
                for message in messages:
                    if not await self.process(message):
                        # Retry from this very message after a pause; later ones wait.
                        consumer.seek(tp, message.offset)
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, MAX_BACKOFF_S)
                        break
                    backoff = 0.2
                    await consumer.commit(
                        {TopicPartition(tp.topic, tp.partition): message.offset + 1}
                    )

    async def process(self, message: ConsumerRecord[Any, Any]) -> bool:
        """Handle one message; False means 'not done, deliver it again'."""
        topic = message.topic
        try:
            event = parse_event(message.value)
        except PoisonEvent as exc:
            return await self._dead_letter(message, str(exc))
        handler = self.handlers.get(event.type)
        if handler is None:
            EVENTS_CONSUMED.labels(self.service, topic, "ignored").inc()
            return True
        headers = {k: v.decode("latin-1") for k, v in (message.headers or ())}
        token = request_id_var.set(headers.get("x-request-id", ""))
        context = propagate.extract(headers)
        try:
            with tracer.start_as_current_span(f"consume {event.type}", context=context):
                applied = await self._apply(event, topic, handler)
        except _TRANSIENT as exc:
            log.warning("event %s (%s) not processed yet: %s", event.id, event.type, exc)
            EVENTS_CONSUMED.labels(self.service, topic, "retried").inc()
            return False
        except Exception as exc:
            key = (topic, message.partition, message.offset)
            self._attempts[key] = self._attempts.get(key, 0) + 1
            log.exception("handler for %s failed (attempt %d)", event.type, self._attempts[key])
            if self._attempts[key] < MAX_HANDLER_ATTEMPTS:
                EVENTS_CONSUMED.labels(self.service, topic, "retried").inc()
                return False
            self._attempts.pop(key, None)
            return await self._dead_letter(message, f"handler failed: {type(exc).__name__}: {exc}")
        finally:
            request_id_var.reset(token)
        EVENTS_CONSUMED.labels(self.service, topic, "applied" if applied else "duplicate").inc()
        if applied and self.faults.crash_after_next_effect:
            log.error("crash_after_next_effect: exiting before the offset commit")
            os._exit(137)
        return True

    async def _apply(self, event: Event, topic: str, handler: Handler) -> bool:
        async with self.db.session() as session, session.begin():
            first_time = (
                await session.execute(
                    insert(self.inbox)
                    .values(event_id=event.id, type=event.type, topic=topic)
                    .on_conflict_do_nothing()
                    .returning(self.inbox.c.event_id)
                )
            ).first()
            if first_time is None:
                return False
            await handler(session, event)
        return True

    async def _dead_letter(self, message: ConsumerRecord[Any, Any], reason: str) -> bool:
        log.error(
            "dead-lettering message %s/%d@%d: %s",
            message.topic,
            message.partition,
            message.offset,
            reason,
        )
        try:
            if self._dlq_producer is None:
                self._dlq_producer = new_producer(self.bootstrap_servers)
                await asyncio.wait_for(self._dlq_producer.start(), 10)
            headers = [
                *(message.headers or ()),
                ("dlq-reason", reason[:500].encode()),
                ("dlq-source", f"{message.topic}/{message.partition}/{message.offset}".encode()),
                ("dlq-service", self.service.encode()),
            ]
            await asyncio.wait_for(
                self._dlq_producer.send_and_wait(
                    dead_letter_topic(message.topic),
                    value=message.value,
                    key=message.key,
                    headers=headers,
                ),
                10,
            )
        except (KafkaError, TimeoutError, OSError) as exc:
            log.warning("dead-letter topic unreachable, will retry: %s", exc)
            return False
        EVENTS_CONSUMED.labels(self.service, message.topic, "dead_lettered").inc()
        return True


def _topic_of(event_type: str) -> str:
    from .events import EVENT_TYPES

    return EVENT_TYPES[event_type][0]
