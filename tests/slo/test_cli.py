"""`harness slo validate` and `harness slo import-openslo` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from slo.generate import REPO_ROOT

SPECS = sorted((REPO_ROOT / "slo" / "specs").glob("*.yaml"))


def test_validate_platform_specs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slo", "validate", *map(str, SPECS)]) == 0
    assert "gateway.yaml: 7 SLO(s) valid" in capsys.readouterr().out


def test_validate_reports_one_line_per_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nservice: gateway\nowner: x\nslos:\n  - name: a\n    objective: 99\n"
    )
    missing = tmp_path / "missing.yaml"
    assert main(["slo", "validate", str(bad), str(missing), str(SPECS[0])]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in captured.err
    assert "bad.yaml: slo 'a': field 'description': is required" in lines[0]
    assert "missing.yaml: cannot read" in lines[1]


def test_import_openslo_prints_a_valid_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "openslo.yaml"
    source.write_text(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: probes\n  annotations:\n"
        "    runbook_url: https://r.example.com\n    owner: team\n"
        "spec:\n  service: probe-runner\n  indicator:\n    spec:\n      ratioMetric:\n"
        "        good: {metricSource: {spec: {query: 'probe_runs_total{result=\"success\"}'}}}\n"
        "        total: {metricSource: {spec: {query: probe_runs_total}}}\n"
        "  objectives: [{targetPercent: 99, timeSliceTarget: 0.9}]\n"
    )
    assert main(["slo", "import-openslo", str(source)]) == 0
    captured = capsys.readouterr()
    converted = tmp_path / "converted.yaml"
    converted.write_text(captured.out)
    assert "not converted" in captured.err and "timeSliceTarget" in captured.err
    assert main(["slo", "validate", str(converted)]) == 0
