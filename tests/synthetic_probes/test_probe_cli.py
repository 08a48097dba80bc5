"""`harness probe list|run` from the command line."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.platform.supervisor import Platform


def test_probe_list_shows_each_journey(capsys):
    assert main(["probe", "list"]) == 0
    out = capsys.readouterr().out
    assert "checkout     every 30s" in out
    assert "login -> list-products -> place-order -> order-confirmed" in out


def test_unknown_journey_is_one_line(capsys):
    assert main(["probe", "run", "nope", "--gateway", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "no journey 'nope'" in err and "(known: browse, checkout, signin)" in err


def test_unreachable_gateway_is_one_line(capsys):
    assert main(["probe", "run", "browse", "--gateway", "http://127.0.0.1:9"]) == 2
    assert "harness probe: error: " in capsys.readouterr().err


@pytest.mark.slow
def test_probe_run_prints_each_step(local_platform: Platform, capsys):
    assert main(["probe", "run", "browse", "--gateway", local_platform.url("gateway")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "journey browse:"
    assert out[1].startswith("  ok   list-products: HTTP 200 in ")
    assert out[2].startswith("  ok   view-product: HTTP 200 in ")
    assert out[-1].startswith("passed in ")
