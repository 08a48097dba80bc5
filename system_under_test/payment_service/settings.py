from __future__ import annotations

from pydantic import Field

from system_under_test.common.settings import ServiceSettings, service_config


class PaymentSettings(ServiceSettings):
    model_config = service_config("PAYMENT_")

    service_name: str = "payment-service"
    port: int = 8004
    provider_url: str = "http://127.0.0.1:8005"
    provider_timeout_s: float = Field(default=2.0, gt=0)
    provider_attempts: int = Field(default=3, ge=1)
    # After this long without an answer from the provider the payment fails and the
    # order is cancelled, instead of waiting for the provider forever.
    give_up_after_s: float = Field(default=60.0, gt=0)
