"""values.schema.json rejects bad values with a clear message; the README documents every value."""

from __future__ import annotations

import re
from typing import Any

import helm_python as helm
import pytest
import yaml
from helm_render import CHART, NAMESPACE, RELEASE


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"services": {"gateway": {"replicas": -1}}}, "at '/services/gateway/replicas': minimum"),
        ({"image": {"repository": ""}}, "at '/image/repository': minLength"),
        ({"image": {"repository": None}}, "at '/image': missing property 'repository'"),
        ({"replicas": 3}, "additional properties 'replicas' not allowed"),
        ({"auth": {"adminToken": "short"}}, "at '/auth/adminToken': minLength"),
        (
            {"rateLimit": {"storage": {"url": "memcached://x:11211"}}},
            "at '/rateLimit/storage/url'",
        ),
        ({"rateLimit": {"storageUrl": "redis://x:6379"}}, "'storageUrl' not allowed"),
        ({"rateLimit": {"redis": {"maxMemory": "48 MB"}}}, "at '/rateLimit/redis/maxMemory'"),
        ({"kafka": {"external": {"bootstrapServers": "kafka"}}}, "bootstrapServers"),
        ({"postgresql": {"auth": {"password": "p@ss/word"}}}, "at '/postgresql/auth/password'"),
        (
            {"containerSecurityContext": {"allowPrivilegeEscalation": True}},
            "allowPrivilegeEscalation",
        ),
        (
            {"harness": {"chaos": {"experiments": ["../etc/passwd"]}}},
            "/harness/chaos/experiments/0",
        ),
    ],
)
def test_invalid_values_fail_with_the_schema_message(values: dict[str, Any], message: str) -> None:
    chart = helm.Chart.load(CHART)
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.render(values=values, name=RELEASE, namespace=NAMESPACE)
    assert message in str(caught.value)


def test_default_values_satisfy_the_schema() -> None:
    helm.Chart.load(CHART).validate_schema(None)


def documented_paths() -> list[str]:
    """Dotted paths of values.yaml keys marked with a `# --` description comment."""
    paths: list[str] = []
    stack: list[tuple[int, str]] = []
    described = False
    for line in (CHART / "values.yaml").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            described = True
            continue
        match = re.match(r"^(\s*)([A-Za-z0-9_.-]+):", line)
        if not match or stripped.startswith("#"):
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        if described:
            paths.append(".".join(key for _, key in stack))
            described = False
    return paths


def test_readme_documents_every_value() -> None:
    readme = (CHART / "README.md").read_text()
    paths = documented_paths()
    assert len(paths) > 60
    missing = [path for path in paths if f"`{path}`" not in readme]
    assert missing == []
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for key in values:
        assert f"`{key}" in readme, key
