"""Settings base shared by every service; each service subclasses it with its own env prefix."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Common knobs. A service sets ``model_config = service_config("ORDER_")``."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    log_level: str = "INFO"
    admin_token: str = Field(default="dev-admin-token", min_length=8)
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    jwt_audience: str = "commerce"
    jwt_issuer: str = "commerce-user-service"
    kafka_bootstrap_servers: str = Field(
        default="",
        # The unprefixed variable points every service at a real Kafka cluster at once.
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    otel_exporter_otlp_endpoint: str = Field(
        default="",
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "otel_exporter_otlp_endpoint"),
    )
    db_pool_size: int = 5
    # A breaker opens on request failures only when this many distinct clients had them.
    breaker_min_failing_clients: int = Field(default=3, ge=1)
    # A connection must deliver its request headers within this time, or it is closed.
    header_timeout_s: float = Field(default=10.0, gt=0)


def service_config(prefix: str) -> SettingsConfigDict:
    """Settings config for one service: ``ORDER_DATABASE_URL`` and friends."""
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", populate_by_name=True)
