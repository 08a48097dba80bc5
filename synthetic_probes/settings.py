"""Settings of the probe runner (env prefix ``PROBES_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JOURNEYS_DIR = Path(__file__).with_name("journeys")


class ProbeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROBES_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8006
    gateway_url: str = "http://127.0.0.1:8000"
    journeys_dir: Path = DEFAULT_JOURNEYS_DIR
    # Comma-separated journey names to schedule; empty: every journey in journeys_dir.
    journeys: str = ""
    log_level: str = "INFO"
    # The probe customer is registered by the runner itself on start.
    customer_email: str = "probe-runner@example.com"
    customer_password: str = Field(default="probe-runner-password", min_length=8)
    # The admin creates the probe's own catalog item, so checkouts never drain the
    # demo catalog. The platform's USER_ADMIN_* variables are honoured as well.
    admin_email: str = Field(
        default="admin@example.com",
        validation_alias=AliasChoices("PROBES_ADMIN_EMAIL", "USER_ADMIN_EMAIL", "admin_email"),
    )
    admin_password: str = Field(
        default="admin-password",
        validation_alias=AliasChoices(
            "PROBES_ADMIN_PASSWORD", "USER_ADMIN_PASSWORD", "admin_password"
        ),
    )
    request_timeout_s: float = Field(default=10.0, gt=0)
    # Run no journey less often than this (seconds; 0: each journey's own interval). A
    # game day sets it so a few minutes hold enough journeys to judge the probe SLO.
    max_interval_s: float = Field(default=0.0, ge=0)

    def interval(self, journey_interval_s: float) -> float:
        if self.max_interval_s:
            return min(journey_interval_s, self.max_interval_s)
        return journey_interval_s

    def selected(self) -> list[str]:
        return [name.strip() for name in self.journeys.split(",") if name.strip()]
