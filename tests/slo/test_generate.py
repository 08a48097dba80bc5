"""`harness generate`: committed output is current, files carry the header, the chart
copies are identical, and each SLO costs at most Sloth's 13 recording rules."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from harness.cli import main
from slo.generate import (
    HELM_DASHBOARDS,
    HELM_RULES,
    REPO_ROOT,
    alertmanager_path,
    generate_all,
    rule_files,
    stale,
)
from slo.model import load_specs
from slo.render import HEADER

SLOTH_RULES_PER_SLO = 13  # 7 SLI windows + 6 metadata rules


@pytest.fixture(scope="module")
def files() -> dict[Path, str]:
    return generate_all(REPO_ROOT)


def test_committed_generated_files_are_current() -> None:
    assert stale(REPO_ROOT) == []


def test_every_file_carries_the_do_not_edit_header(files: dict[Path, str]) -> None:
    for path, text in files.items():
        if path.suffix == ".json":
            assert json.loads(text)["description"].startswith(HEADER), path
        else:
            assert text.startswith(f"# {HEADER}"), path


def test_chart_copies_are_identical(files: dict[Path, str]) -> None:
    for path in rule_files("default", files):
        assert files[HELM_RULES / path.name] == files[path]
    dashboards = [p for p in files if p.parent == Path("dashboards/generated")]
    assert dashboards
    for path in dashboards:
        assert files[HELM_DASHBOARDS / path.name] == files[path]


def test_recording_rules_per_slo_stay_within_sloths_count(files: dict[Path, str]) -> None:
    per_slo: Counter[str] = Counter()
    for path in rule_files("default", files):
        for group in yaml.safe_load(files[path])["groups"]:
            per_slo[group["name"]] += sum(1 for rule in group["rules"] if "record" in rule)
    slos = load_specs(REPO_ROOT / "slo" / "specs")
    recording_groups = {name: n for name, n in per_slo.items() if n}
    assert len(recording_groups) == len(slos)
    assert all(count <= SLOTH_RULES_PER_SLO for count in recording_groups.values())


def test_no_float_artefacts(files: dict[Path, str]) -> None:
    for path, text in files.items():
        assert "0000000" not in text and "9999999" not in text, path


def test_rule_files_by_profile_exist() -> None:
    default, game = rule_files("default"), rule_files("game")
    assert default and game and not set(default) & set(game)
    assert all(path.exists() and "/game/" in str(path) for path in game)
    assert alertmanager_path("game").exists()
    with pytest.raises(ValueError, match="unknown profile"):
        rule_files("chaos")


def test_game_rules_keep_names_and_scale_windows(files: dict[Path, str]) -> None:
    game = yaml.safe_load(files[Path("slo/generated/game/gateway.rules.yaml")])
    group = game["groups"][0]
    assert group["interval"] == "5s"
    windows = {r["record"]: r["labels"].get("slo_window") for r in group["rules"]}
    assert windows["slo:sli_error:ratio_rate30d"] == "1h"
    assert windows["slo:sli_error:ratio_rate3d"] == "6m"
    assert windows["slo:sli_error:ratio_rate5m"] == "30s"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the generator's inputs, so the CLI can write without touching the repo."""
    shutil.copytree(REPO_ROOT / "slo" / "specs", tmp_path / "slo" / "specs")
    shutil.copytree(
        REPO_ROOT / "dashboards",
        tmp_path / "dashboards",
        ignore=shutil.ignore_patterns("generated", "__pycache__"),
    )
    return tmp_path


def test_generate_then_check(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--check", "--root", str(tree)]) == 1
    assert "missing: slo/generated/gateway.rules.yaml" in capsys.readouterr().out
    assert main(["generate", "--root", str(tree)]) == 0
    assert main(["generate", "--check", "--root", str(tree)]) == 0
    edited = tree / "alerts" / "generated" / "alertmanager.yml"
    edited.write_text(edited.read_text() + "# hand edit\n")
    (tree / "slo" / "generated" / "leftover.rules.yaml").write_text("groups: []\n")
    capsys.readouterr()
    assert main(["generate", "--check", "--root", str(tree)]) == 1
    out = capsys.readouterr().out
    assert "changed: alerts/generated/alertmanager.yml" in out
    assert "extra: slo/generated/leftover.rules.yaml" in out
    assert main(["generate", "--root", str(tree)]) == 0
    assert not (tree / "slo" / "generated" / "leftover.rules.yaml").exists()


def test_generate_reports_a_bad_spec_in_one_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tree / "slo" / "specs" / "orders.yaml"
    spec.write_text(spec.read_text().replace("threshold: 10", "threshold: 11"))
    assert main(["generate", "--root", str(tree)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert "orders.yaml: slo 'order-completion': field 'sli.latency.threshold'" in err
