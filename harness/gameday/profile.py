"""Game-day profiles (YAML): warm-up, load, probes, rounds of chaos, pauses, cool-down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.yaml_files import load_model

PROFILE_DIR = Path(__file__).parent / "profiles"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ProfileError(Exception):
    """A profile that cannot be used; the message names the file and the field."""


class LoadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(default="mixed", description="persona mix in load_scenarios/")
    shape: str = Field(default="steady", description="load shape in load_scenarios/")
    users: int = Field(default=8, ge=1, le=500)
    spawn_rate: float = Field(default=4, gt=0)


class Round(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    experiment: str = Field(description="chaos experiment file, relative to the repository")
    configuration: dict[str, Any] = Field(
        default_factory=dict,
        description="overrides of the experiment's configuration, e.g. fault_duration_s",
    )


class GameProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    warmup_s: float = Field(default=20, ge=0)
    load: LoadSettings | None = Field(default_factory=LoadSettings)
    probes: bool = True
    rounds: list[Round] = Field(default_factory=list)
    pause_between_rounds_s: float = Field(default=10, ge=0)
    cooldown_s: float = Field(default=20, ge=0)
    settle_timeout_s: float = Field(default=90, gt=0)

    def expected_duration_s(self, round_s: float = 30.0) -> float:
        pauses = self.pause_between_rounds_s * max(len(self.rounds) - 1, 0)
        return self.warmup_s + len(self.rounds) * round_s + pauses + self.cooldown_s

    def experiment_paths(self) -> list[Path]:
        return [PROJECT_ROOT / r.experiment for r in self.rounds]


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str) -> GameProfile:
    """A built-in profile by name (``smoke``) or a YAML file of one's own."""
    path = Path(name_or_path)
    if not path.suffix:
        path = PROFILE_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            known = ", ".join(available_profiles())
            raise ProfileError(f"no profile named {name_or_path!r} (built in: {known})")
    profile = load_model(
        path, GameProfile, ProfileError, not_mapping="a profile is a mapping with name, rounds, ..."
    )
    for experiment in profile.experiment_paths():
        if not experiment.exists():
            raise ProfileError(
                f"{path}: experiment {experiment.relative_to(PROJECT_ROOT)} does not exist"
            )
    return profile
