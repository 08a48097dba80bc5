from __future__ import annotations

from system_under_test.common.settings import ServiceSettings, service_config


class ProviderSettings(ServiceSettings):
    model_config = service_config("PROVIDER_")

    service_name: str = "payment-provider"
    port: int = 8005
