"""Mutants: one realistic regression each, written as an exact text replacement in one
file of the project (mutants.yaml). A replacement that no longer matches exactly once
fails loudly, so a refactor cannot silently turn a mutant into a clean copy."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.yaml_files import load_model

MUTANTS_FILE = Path(__file__).with_name("mutants.yaml")
Kind = Literal[
    "errors", "latency", "lost events", "duplicated events", "money", "stock",
    "alert rules", "probe journeys", "memory",
]  # fmt: skip


class MutantError(Exception):
    """A mutant that cannot be applied; the message names it and the file."""


class Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="path relative to the project root")
    find: str = Field(min_length=1, description="text that occurs exactly once in the file")
    replace: str


class Mutant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: Kind
    description: str = Field(description="what the regression does to customers")
    edits: list[Edit] = Field(min_length=1)
    regenerate: bool = Field(
        default=False, description="run `harness generate` after the edits (rule changes)"
    )

    def apply(self, root: Path) -> None:
        for edit in self.edits:
            path = root / edit.file
            try:
                text = path.read_text()
            except FileNotFoundError:
                raise MutantError(f"mutant {self.name}: {edit.file} does not exist") from None
            found = text.count(edit.find)
            if found != 1:
                raise MutantError(
                    f"mutant {self.name}: the text to replace occurs {found} times in "
                    f"{edit.file} (expected exactly once): update mutants.yaml"
                )
            path.write_text(text.replace(edit.find, edit.replace))


class MutantFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mutants: list[Mutant]


def load_mutants(path: Path = MUTANTS_FILE) -> list[Mutant]:
    document = load_model(path, MutantFile, MutantError, not_mapping="a mapping with mutants")
    mutants = document.mutants
    names = [m.name for m in mutants]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise MutantError(f"{path}: mutant names used twice: {', '.join(duplicated)}")
    return mutants
