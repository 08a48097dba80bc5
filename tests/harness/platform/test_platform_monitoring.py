"""Rendered Prometheus and Alertmanager configuration, checked by promtool and amtool."""

import subprocess
from pathlib import Path

import yaml

from harness.platform import monitoring
from harness.platform.topology import PlatformOptions, Ports, build_topology


def _check(tool: str, *args: str) -> None:
    result = subprocess.run([tool, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_scrapes_every_component_with_metrics(tmp_path):
    topology = build_topology(PlatformOptions(run_dir=tmp_path, ports=Ports.from_base(21000)))
    monitoring.write_prometheus_config(topology)
    config = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"gateway", "order-service", "harness", "prometheus", "alertmanager"} <= set(jobs)
    assert "postgres" not in jobs and "kafka" not in jobs
    assert jobs["harness"]["static_configs"][0]["targets"] == ["127.0.0.1:21009"]
    assert config["global"]["scrape_interval"] == "5s"
    assert config["global"]["evaluation_interval"] == "5s"
    targets = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["127.0.0.1:21012"]
    _check("promtool", "check", "config", "--syntax-only", str(tmp_path / "prometheus.yml"))


def test_rule_files_follow_the_profile(tmp_path):
    (tmp_path / "slo" / "generated" / "game").mkdir(parents=True)
    (tmp_path / "alerts" / "generated").mkdir(parents=True)
    assert monitoring.rule_globs(tmp_path, "default") == [
        str(tmp_path / "slo" / "generated" / "*.yaml"),
        str(tmp_path / "alerts" / "generated" / "*.yaml"),
    ]
    assert monitoring.rule_globs(tmp_path, "game") == [
        str(tmp_path / "slo" / "generated" / "game" / "*.yaml")
    ]


def test_builtin_alertmanager_config_routes_to_the_harness(tmp_path):
    config = monitoring.alertmanager_config(tmp_path, "http://127.0.0.1:9999/alerts")
    path = tmp_path / "am.yml"
    monitoring.write_yaml(path, config, "test")
    _check("amtool", "check-config", str(path))
    assert config["receivers"][0]["webhook_configs"][0]["url"] == "http://127.0.0.1:9999/alerts"


def test_generated_alertmanager_config_gets_the_receiver_address(tmp_path: Path):
    generated = tmp_path / "alerts" / "generated"
    generated.mkdir(parents=True)
    (generated / "alertmanager.yml").write_text(
        yaml.safe_dump(
            {
                "route": {"receiver": "page", "routes": [{"receiver": "ticket"}]},
                "receivers": [
                    {"name": "page", "webhook_configs": [{"url": "http://placeholder/page"}]},
                    {"name": "ticket", "webhook_configs": [{"url": "http://placeholder/t"}]},
                ],
            }
        )
    )
    config = monitoring.alertmanager_config(tmp_path, "http://127.0.0.1:8009/alerts")
    urls = [w["url"] for r in config["receivers"] for w in r["webhook_configs"]]
    assert urls == ["http://127.0.0.1:8009/alerts"] * 2
    assert config["route"]["routes"] == [{"receiver": "ticket"}]
    path = tmp_path / "am.yml"
    monitoring.write_yaml(path, config, "test")
    _check("amtool", "check-config", str(path))


def test_game_profile_uses_the_game_alertmanager_config(tmp_path: Path):
    for folder, wait in ((tmp_path / "alerts" / "generated", "30s"),
                         (tmp_path / "alerts" / "generated" / "game", "1s")):  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        route = {"receiver": "r", "group_wait": wait}
        receivers = [{"name": "r", "webhook_configs": [{"url": "http://x/"}]}]
        (folder / "alertmanager.yml").write_text(
            yaml.safe_dump({"route": route, "receivers": receivers})
        )
    game = monitoring.alertmanager_config(tmp_path, "http://127.0.0.1:1/alerts", "game")
    default = monitoring.alertmanager_config(tmp_path, "http://127.0.0.1:1/alerts", "default")
    assert (game["route"]["group_wait"], default["route"]["group_wait"]) == ("1s", "30s")
