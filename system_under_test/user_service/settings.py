from __future__ import annotations

from pydantic import Field

from system_under_test.common.settings import ServiceSettings, service_config


class UserSettings(ServiceSettings):
    model_config = service_config("USER_")

    service_name: str = "user-service"
    port: int = 8001
    admin_email: str = "admin@example.com"
    admin_password: str = Field(default="admin-password", min_length=8)
    token_ttl_seconds: int = Field(default=3600, gt=0)
    signing_key_pem: str = ""
