from __future__ import annotations

from pydantic import Field

from system_under_test.common.settings import ServiceSettings, service_config


class OrderSettings(ServiceSettings):
    model_config = service_config("ORDER_")

    service_name: str = "order-service"
    port: int = 8003
    product_url: str = "http://127.0.0.1:8002"
    product_timeout_s: float = Field(default=2.0, gt=0)
