"""Wires a service's outbox relay and event consumer into its app."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import APIRouter
from sqlalchemy import Table

from ..app_factory import Hook
from ..database import Database
from ..settings import ServiceSettings
from .consumer import EventConsumer, Handler
from .outbox import OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class Messaging:
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    background: dict[str, Hook] = field(default_factory=dict)
    routers: list[APIRouter] = field(default_factory=list)


def messaging(
    settings: ServiceSettings,
    db: Database,
    *,
    outbox: Table | None = None,
    inbox: Table | None = None,
    handlers: dict[str, Handler] | None = None,
) -> Messaging:
    """Without KAFKA_BOOTSTRAP_SERVERS the service still serves its API; events then
    wait in the outbox until a broker is configured."""
    wired = Messaging()
    if not settings.kafka_bootstrap_servers:
        log.warning("KAFKA_BOOTSTRAP_SERVERS is not set: events stay in the outbox")
        return wired
    if outbox is not None:
        wired.relay = OutboxRelay(
            settings.service_name, db, outbox, settings.kafka_bootstrap_servers
        )
        wired.background["outbox-relay"] = wired.relay.run
    if inbox is not None and handlers:
        wired.consumer = EventConsumer(
            settings.service_name, db, inbox, settings.kafka_bootstrap_servers, handlers
        )
        wired.background["event-consumer"] = wired.consumer.run
        wired.routers.append(wired.consumer.admin_router(settings.admin_token))
    return wired
