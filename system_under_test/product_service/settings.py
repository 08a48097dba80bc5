from __future__ import annotations

from system_under_test.common.settings import ServiceSettings, service_config


class ProductSettings(ServiceSettings):
    model_config = service_config("PRODUCT_")

    service_name: str = "product-service"
    port: int = 8002
