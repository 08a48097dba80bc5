"""YAML files the user writes (policy, game profiles, probe journeys), read into a
pydantic model with one readable error line that names the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def load_model(
    path: Path,
    model: type[M],
    error: type[Exception],
    *,
    not_mapping: str,
    field_prefix: str = "",
) -> M:
    """``error(message)`` for an unreadable file, bad YAML, a document that is not a
    mapping (``not_mapping`` says what it should be) or a field the model rejects."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise error(f"{path}: not valid YAML{where}") from None
    if not isinstance(document, dict):
        raise error(f"{path}: {not_mapping}")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "document"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise error(f"{path}: {field_prefix}{field}: {first['msg']}{more}") from None
