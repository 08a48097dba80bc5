"""Game-day profiles and options: what users write, and the errors they get."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.gameday.play import SeededFault
from harness.gameday.profile import ProfileError, available_profiles, load_profile


def test_built_in_profiles_load_and_fit_their_time_budgets() -> None:
    assert {"smoke", "standard"} <= set(available_profiles())
    smoke, standard = load_profile("smoke"), load_profile("standard")
    assert smoke.rounds and smoke.expected_duration_s(round_s=25) <= 4 * 60
    assert 10 * 60 <= standard.expected_duration_s(round_s=25) <= 20 * 60
    assert len(standard.rounds) > len(smoke.rounds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nrounds: nope\n", "rounds: Input should be a valid list"),
        ("name: x\nwarmup_s: -3\n", "warmup_s: Input should be greater than or equal to 0"),
        ("name: x\nsurprise: 1\n", "surprise: Extra inputs are not permitted"),
        ("name: x\nrounds:\n  - name: r\n    experiment: chaos_experiments/local/none.yaml\n",
         "experiment chaos_experiments/local/none.yaml does not exist"),
        ("- just a list\n", "a profile is a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_profiles_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as error:
        load_profile(str(path))
    assert str(path) in str(error.value) and message in str(error.value)


def test_unknown_profile_lists_the_built_in_ones() -> None:
    with pytest.raises(ProfileError, match=r"built in: .*smoke"):
        load_profile("marathon")


def test_seed_fault_syntax() -> None:
    fault = SeededFault.parse("product-service:/products*:600")
    assert (fault.service, fault.route, fault.latency_ms) == ("product-service", "/products*", 600)
    for bad in ("product-service:600", "a:b:slow"):
        with pytest.raises(ValueError, match="SERVICE:ROUTE:LATENCY_MS"):
            SeededFault.parse(bad)
    with pytest.raises(ValueError, match="unknown service 'billing'"):
        SeededFault.parse("billing:/x:100")


def test_cli_reports_a_bad_profile_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness", "gameday", "--profile", "marathon",
         "--state-dir", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "marathon" in result.stderr
    assert "Traceback" not in result.stderr
