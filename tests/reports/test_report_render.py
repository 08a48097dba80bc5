"""The report formats: report.json against its JSON Schema, JUnit, Markdown, and the
HTML page in a real headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import cast

import jsonschema
import pytest
from PIL import Image

from reports.model import Report, json_schema
from reports.record import GameRecord
from reports.render import write_all
from reports.scoring import score_game
from reports.source import ReplaySource
from tests.reports.conftest import POLICY

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "reports" / "schema" / "report.schema.json"


@pytest.fixture
def written(
    recorded_game: tuple[GameRecord, ReplaySource], tmp_path: Path
) -> tuple[Report, dict[str, Path]]:
    record, source = recorded_game
    report = score_game(record, policy_path=POLICY, baseline=None, source=source)
    return report, write_all(report, tmp_path / "run")


def test_schema_file_is_current() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), (
        "regenerate: harness report schema > " + str(SCHEMA_FILE)
    )


def test_report_json_validates_against_the_schema(written: tuple[Report, dict[str, Path]]) -> None:
    _, paths = written
    document = json.loads(paths["json"].read_text())
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text()))
    broken = {**document, "evaluation": {**document["evaluation"], "verdict": "maybe"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, json.loads(SCHEMA_FILE.read_text()))
    assert Report.load_file(paths["json"]) == written[0]


def test_junit_has_a_case_per_objective_and_round(written: tuple[Report, dict[str, Path]]) -> None:
    report, paths = written
    assert report.evaluation is not None
    suite = ET.parse(paths["junit"]).getroot().find("testsuite")  # noqa: S314 - our own file
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(report.evaluation.objectives) + len(report.rounds)
    failing = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failing == {
        "load",
        "alert:product-latency:GatewayBrowseLatencyBudgetBurn",
        "product-latency",
    }
    assert suite.get("failures") == "3"


def test_markdown_summary(written: tuple[Report, dict[str, Path]]) -> None:
    text = written[1]["markdown"].read_text()
    # The latency page never reached the receiver: a key objective, so the game fails.
    assert text.startswith("## Game day `smoke`: ❌ **FAIL**")
    assert (
        "| kill-product-service | completed | confirmed | TargetDown 8s, "
        "GatewayBrowseAvailabilityBudgetBurn 17s | 10s |" in text
    )
    assert "key objective alert:product-latency:GatewayBrowseLatencyBudgetBurn failed" in text


def test_html_is_self_contained(written: tuple[Report, dict[str, Path]]) -> None:
    page = written[1]["html"].read_text()
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in page
    assert page.count("<svg") == 1 + 2 * len(written[0].slos)
    assert 'class="fault"' in page  # chaos windows shaded


def _colors(image: Image.Image) -> list[tuple[int, tuple[int, int, int]]]:
    """(pixel count, RGB) of every colour of an RGB image."""
    return cast(list[tuple[int, tuple[int, int, int]]], image.getcolors(maxcolors=10_000_000))


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is required (Debian package chromium)"
    return path


def test_html_renders_in_headless_chromium(
    written: tuple[Report, dict[str, Path]], tmp_path: Path
) -> None:
    html = written[1]["html"]
    shot = tmp_path / "shot.png"
    dom = subprocess.run(
        [
            _chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
            f"--screenshot={shot}", "--window-size=1280,2000", html.as_uri(),
        ],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    assert shot.exists(), dom.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    # The timeline is near the top: its fault bands are orange and its firing bars red.
    top = _colors(image.crop((0, 250, 1280, 480)))
    reds = sum(n for n, (r, g, b) in top if r > 180 and g < 110 and b < 110)
    oranges = sum(n for n, (r, g, b) in top if r > 230 and g < 215 and r - b > 60 and g - b > 20)
    assert reds > 500 and oranges > 500, (reds, oranges)
    # The SLO charts below: plotted lines in the palette's blue.
    charts = _colors(image.crop((0, 900, 1280, 2000)))
    blues = sum(n for n, (r, g, b) in charts if b > 150 and r < 90 and 90 < g < 160)
    assert blues > 300, blues
