"""Static checks of the Dockerfile: no docker engine runs here, so the image is not built."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
SECRET_LIKE = re.compile(r"(\.env\b|\.pem$|\.key$|id_rsa|kubeconfig|\.tfstate|\.tfvars)", re.I)
SECRET_NAMES = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY)", re.I)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def global_args() -> dict[str, str]:
    args: dict[str, str] = {}
    for keyword, rest in instructions():
        if keyword == "FROM":
            break
        if keyword == "ARG" and "=" in rest:
            name, value = rest.split("=", 1)
            args[name] = value
    return args


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def test_multi_stage_build_on_a_pinned_slim_base() -> None:
    args = global_args()
    bases = [rest.split()[0] for keyword, rest in instructions() if keyword == "FROM"]
    assert len(bases) >= 2
    for base in bases:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
        image, _, tag = resolved.partition(":")
        assert image == "python", resolved
        assert re.fullmatch(r"\d+\.\d+\.\d+-slim-\w+", tag), f"{resolved} is not pinned"


def test_runtime_stage_runs_as_a_non_root_user() -> None:
    runtime = stages()[-1]
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert not [k for k, _ in instructions() if k == "HEALTHCHECK"]


def test_no_secret_is_copied_or_baked_in() -> None:
    for keyword, rest in instructions():
        if keyword in {"COPY", "ADD"}:
            sources = [s for s in rest.split() if not s.startswith("--")][:-1]
            assert not [s for s in sources if SECRET_LIKE.search(s)], rest
        if keyword in {"ENV", "ARG"}:
            assert not SECRET_NAMES.search(rest), rest
    ignored = (REPO / ".dockerignore").read_text().split()
    for pattern in ("**/.env", "**/*.pem", "**/*.key", "**/.git", "**/.venv", "**/*.tfstate"):
        assert pattern in ignored, pattern


def test_the_service_is_chosen_by_a_build_argument() -> None:
    runtime = stages()[-1]
    assert ("ARG", "SERVICE=gateway") in runtime
    entrypoint = next(rest for keyword, rest in runtime if keyword == "ENTRYPOINT")
    assert 'exec python -m \\"system_under_test.${SERVICE}\\"' in entrypoint
