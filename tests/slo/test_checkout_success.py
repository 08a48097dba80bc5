"""The checkout-success SLO counts what the platform caused and leaves out what the
customer caused, checked by promtool on the generated recording rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from slo.generate import REPO_ROOT, rule_files

SELECTOR = 'slo_name="checkout-success", slo_service="order-service"'
RATIO = f"slo:sli_error:ratio_rate5m{{{SELECTOR}}}"
RATIO_SAMPLE = f'slo:sli_error:ratio_rate5m{{{SELECTOR}, slo_window="5m"}}'


def outcomes(per_minute: dict[str, int]) -> list[dict[str, str]]:
    """Half an hour of order_outcomes_total growing by ``per_minute`` for each cause."""
    outcome = {"paid": "confirmed"}
    return [
        {
            "series": f'order_outcomes_total{{outcome="{outcome.get(cause, "cancelled")}", '
            f'cause="{cause}"}}',
            "values": f"0+{rate}x30",
        }
        for cause, rate in per_minute.items()
    ]


def test_customer_caused_cancellations_are_left_out_and_the_rest_count(tmp_path: Path) -> None:
    (rules,) = [p for p in rule_files("default") if p.name == "order-service.rules.yaml"]
    customer_caused = {"card_declined": 60, "customer_cancelled": 30}
    cases = [
        # Half the orders declined by the issuer or cancelled by their customer: no error.
        (outcomes({"paid": 54, **customer_caused, "payment_failed": 0, "stock_rejected": 0}), 0),
        # 6 of 60 counted orders cancelled by the platform: a 10 % error ratio.
        (outcomes({"paid": 54, **customer_caused, "payment_failed": 4, "stock_rejected": 2}), 0.1),
    ]
    document = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {
                        "expr": RATIO,
                        "eval_time": "20m",
                        "exp_samples": [{"labels": RATIO_SAMPLE, "value": value}],
                    }
                ],
            }
            for series, value in cases
        ],
    }
    test_file = tmp_path / "checkout-success.test.yaml"
    test_file.write_text(yaml.safe_dump(document, sort_keys=False))
    result = subprocess.run(
        ["promtool", "test", "rules", str(test_file)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
