from __future__ import annotations

from pathlib import Path

from limits import parse_many
from pydantic import Field, ValidationError, field_validator

from system_under_test.common.settings import ServiceSettings, service_config

DEFAULT_ROUTES_FILE = Path(__file__).with_name("routes.yaml")


class GatewaySettings(ServiceSettings):
    model_config = service_config("GATEWAY_")

    service_name: str = "gateway"
    port: int = 8000
    routes_file: Path = DEFAULT_ROUTES_FILE
    user_url: str = "http://127.0.0.1:8001"
    product_url: str = "http://127.0.0.1:8002"
    order_url: str = "http://127.0.0.1:8003"
    payment_url: str = "http://127.0.0.1:8004"
    # A burst limit and a sustained limit per client, in `limits` notation.
    rate_limit: str = "50/second;1000/minute"
    # memory:// counts per replica; redis://host:port/db shares the count between replicas.
    rate_limit_storage_url: str = "memory://"
    upstream_timeout_s: float = Field(default=5.0, gt=0)
    body_timeout_s: float = Field(default=10.0, gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=5.0, gt=0)

    @field_validator("rate_limit")
    @classmethod
    def _parseable_rate_limit(cls, value: str) -> str:
        parse_many(value)  # raises ValueError naming the bad string
        return value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or redis://[:password@]host:port[/db]")
        return value

    def upstream_urls(self) -> dict[str, str]:
        """Upstream name (as used in the route table) -> base URL."""
        return {
            "user": self.user_url,
            "product": self.product_url,
            "order": self.order_url,
            "payment": self.payment_url,
        }


def describe_settings_error(exc: ValidationError) -> str:
    """One line naming the environment variable that holds the bad value."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "settings"
    variable = "GATEWAY_" + field.upper()
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"invalid setting {variable}: {first['msg']}{more}"
