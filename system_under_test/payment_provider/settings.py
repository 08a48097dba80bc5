from __future__ import annotations

from pydantic import Field

from system_under_test.common.settings import ServiceSettings, service_config


class ProviderSettings(ServiceSettings):
    model_config = service_config("PROVIDER_")

    service_name: str = "payment-provider"
    port: int = 8005
    ledger_path: str = Field(
        default=":memory:",
        min_length=1,
        description="SQLite file of the charge ledger; ':memory:' forgets it on restart",
    )
