"""The commerce-platform chart: lint, golden renders, schemas and the platform's guarantees."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml
from helm_render import (
    CHART,
    FIXTURES,
    HERE,
    KUBE_VERSION,
    NAMESPACE,
    RELEASE,
    SCENARIOS,
    Manifest,
    Render,
)

GOLDEN = HERE / "golden"
CRD_SCHEMAS = {
    "ServiceMonitor": "servicemonitor.json",
    "PrometheusRule": "prometheusrule.json",
    "AlertmanagerConfig": "alertmanagerconfig.json",
}
PLATFORM = [
    "gateway",
    "user-service",
    "product-service",
    "order-service",
    "payment-service",
    "payment-provider",
]
# The bundled store of the gateway's rate limit counts.
REDIS = "rate-limit-redis"
# Lint cannot see the Bitnami dependencies: they are fetched by `helm dependency build`,
# which needs the network. Any other warning fails the test.
ALLOWED_LINT_WARNINGS = {"chart directory is missing these dependencies: postgresql,kafka"}


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def full(component: str) -> str:
    return f"{RELEASE}-commerce-platform-{component}"


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_lint_reports_no_errors(fixture_chart: Path, scenario: str) -> None:
    report = helm.lint(
        fixture_chart,
        SCENARIOS[scenario],
        namespace=NAMESPACE,
        kube_version=f"v{KUBE_VERSION}",
    )
    assert report["errors"] == []
    warnings = {m["error"] for m in report["messages"] if m["severity"] >= 2}
    assert warnings <= ALLOWED_LINT_WARNINGS


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_render_matches_golden_snapshot(
    render_raw: Callable[[dict[str, Any] | None], dict[str, str]], scenario: str
) -> None:
    rendered = render_raw(SCENARIOS[scenario])
    text = "".join(
        f"# Source: {template}\n{rendered[template].strip()}\n"
        for template in sorted(rendered)
        if rendered[template].strip()
    )
    golden = GOLDEN / f"{scenario}.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"{golden} missing: run with UPDATE_GOLDEN=1"
    assert text == golden.read_text(), f"{scenario} differs from {golden.name}"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_object_validates_against_its_schema(render: Render, scenario: str) -> None:
    objects = render(SCENARIOS[scenario])
    assert objects
    for obj in objects:
        schema_file = CRD_SCHEMAS.get(obj["kind"])
        if schema_file:
            schema = json.loads((HERE / "schemas" / schema_file).read_text())
            jsonschema.validate(obj, schema)
        else:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_crd_schemas_reject_what_the_operator_rejects() -> None:
    schema = json.loads((HERE / "schemas" / "servicemonitor.json").read_text())
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "endpoints": [{"port": "http", "interval": "15 seconds"}]},
    }
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        jsonschema.validate(monitor, schema)


def test_defaults_yield_the_platform_objects(render: Render) -> None:
    objects = render({})
    workloads = {full(c) for c in [*PLATFORM, "probe-runner"]}
    deployments = {d["metadata"]["name"] for d in of_kind(objects, "Deployment")}
    assert deployments == workloads | {full(REDIS)}
    assert {s["metadata"]["name"] for s in of_kind(objects, "Service")} == deployments
    assert {m["metadata"]["name"] for m in of_kind(objects, "ServiceMonitor")} == workloads
    assert [h["metadata"]["name"] for h in of_kind(objects, "HorizontalPodAutoscaler")] == [
        full("gateway")
    ]
    assert len(of_kind(objects, "PodDisruptionBudget")) == 5
    policies = {p["metadata"]["name"] for p in of_kind(objects, "NetworkPolicy")}
    assert {full("default-deny"), full("dns"), full("migrations")} | deployments == policies
    job = named(objects, "Job", full("migrations"))
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert [c["name"] for c in job["spec"]["template"]["spec"]["containers"]] == [
        "order-service",
        "payment-service",
        "product-service",
        "user-service",
    ]
    assert of_kind(objects, "AlertmanagerConfig") == []
    assert of_kind(objects, "CronJob") == []
    for monitor in of_kind(objects, "ServiceMonitor"):
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_deployment_is_probed_limited_hardened_served_and_fenced(
    render: Render, scenario: str
) -> None:
    objects = render(SCENARIOS[scenario])
    services = of_kind(objects, "Service")
    policies = of_kind(objects, "NetworkPolicy")
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["spec"]["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"requests", "limits"} <= set(container["resources"]), name
            ports = {p["name"] for p in container.get("ports", [])}
            if not ports:
                # A Locust worker listens on nothing: no probe target and no Service.
                assert name == full("locust-worker")
                continue
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                handler = container[probe]
                target = handler.get("httpGet") or handler.get("tcpSocket")
                if target:
                    assert target["port"] in ports, (name, probe)
                else:
                    assert handler["exec"]["command"], (name, probe)
            matching = [
                s
                for s in services
                if selects(s["spec"]["selector"], labels)
                and {p["targetPort"] for p in s["spec"]["ports"]} <= ports
            ]
            assert len(matching) == 1, f"{name}: {len(matching)} matching Services"
        component = labels["app.kubernetes.io/component"]
        own = [
            p
            for p in policies
            if p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
            == component
        ]
        assert len(own) == 1, f"{name}: no NetworkPolicy of its own"
        assert set(own[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        deny = named(objects, "NetworkPolicy", full("default-deny"))
        assert selects(deny["spec"]["podSelector"]["matchLabels"], labels)


def ingress_components(policy: Manifest) -> set[str]:
    return {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for rule in policy["spec"]["ingress"]
        for peer in rule.get("from", [])
        if "app.kubernetes.io/component" in peer.get("podSelector", {}).get("matchLabels", {})
    }


def egress_components(policy: Manifest) -> set[str]:
    return {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for rule in policy["spec"]["egress"]
        for peer in rule.get("to", [])
        if "app.kubernetes.io/component" in peer.get("podSelector", {}).get("matchLabels", {})
    }


def test_network_policies_allow_only_the_saga_paths(render: Render) -> None:
    objects = render({})
    policy = {c: named(objects, "NetworkPolicy", full(c)) for c in [*PLATFORM, "probe-runner"]}
    assert ingress_components(policy["order-service"]) == {"gateway"}
    assert ingress_components(policy["product-service"]) == {"gateway", "order-service"}
    assert ingress_components(policy["payment-provider"]) == {"payment-service"}
    assert ingress_components(policy["user-service"]) == set(PLATFORM) - {"user-service"}
    assert egress_components(policy["gateway"]) == set(PLATFORM) - {
        "gateway",
        "payment-provider",
    } | {REDIS}
    assert egress_components(policy["order-service"]) == {"product-service", "user-service"}
    assert egress_components(policy["payment-service"]) == {"payment-provider", "user-service"}
    assert egress_components(policy["probe-runner"]) == {"gateway"}
    egress_ports = {
        port["port"] for rule in policy["order-service"]["spec"]["egress"] for port in rule["ports"]
    }
    assert egress_ports == {8002, 8001, 5432, 9092}
    gateway_ports = {
        port["port"] for rule in policy["gateway"]["spec"]["egress"] for port in rule["ports"]
    }
    assert 5432 not in gateway_ports and 9092 not in gateway_ports


def env_of(objects: list[Manifest], component: str) -> dict[str, Any]:
    """The container env of a component: its ConfigMap merged with the inline entries."""
    env: dict[str, Any] = dict(named(objects, "ConfigMap", full(component))["data"])
    container = named(objects, "Deployment", full(component))["spec"]["template"]["spec"][
        "containers"
    ][0]
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", entry.get("valueFrom"))
    return env


def test_connection_settings_flow_into_the_services(render: Render) -> None:
    external = env_of(render({}), "order-service")
    assert external["ORDER_HOST"] == "0.0.0.0"
    assert external["ORDER_PORT"] == "8003"
    assert external["ORDER_PRODUCT_URL"] == f"http://{full('product-service')}:8002"
    assert external["ORDER_JWKS_URL"].endswith("-user-service:8001/.well-known/jwks.json")
    assert external["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert external["ORDER_DATABASE_URL"] == (
        "postgresql://commerce:$(DATABASE_PASSWORD)@postgresql:5432/orders?sslmode=prefer"
    )
    assert external["ORDER_ADMIN_TOKEN"]["secretKeyRef"] == {
        "name": full("auth"),
        "key": "admin-token",
    }

    bundled = env_of(render(SCENARIOS["dependencies"]), "payment-service")
    assert bundled["KAFKA_BOOTSTRAP_SERVERS"] == f"{RELEASE}-kafka:9092"
    assert f"@{RELEASE}-postgresql:5432/payments" in bundled["PAYMENT_DATABASE_URL"]
    assert bundled["DATABASE_PASSWORD"]["secretKeyRef"] == {
        "name": f"{RELEASE}-postgresql",
        "key": "password",
    }
    assert bundled["PAYMENT_PROVIDER_URL"] == f"http://{full('payment-provider')}:8005"

    gateway = env_of(render({}), "gateway")
    assert {k for k in gateway if k.endswith("_URL")} == {
        "GATEWAY_USER_URL",
        "GATEWAY_PRODUCT_URL",
        "GATEWAY_ORDER_URL",
        "GATEWAY_PAYMENT_URL",
        "GATEWAY_JWKS_URL",
        "GATEWAY_RATE_LIMIT_STORAGE_URL",
    }
    probes = env_of(render({}), "probe-runner")
    assert probes["PROBES_GATEWAY_URL"] == f"http://{full('gateway')}:8000"


def secret_value(objects: list[Manifest], name: str, key: str) -> str:
    return base64.b64decode(named(objects, "Secret", name)["data"][key]).decode()


def egress_ports(policy: Manifest) -> set[int]:
    return {port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]}


def bundled_redis(objects: list[Manifest]) -> list[Manifest]:
    return [obj for obj in objects if obj["metadata"]["name"] == full(REDIS)]


def test_gateway_replicas_share_their_rate_limit_counts_when_given_a_store(
    render: Render,
) -> None:
    objects = render({})
    gateway = env_of(objects, "gateway")
    assert gateway["GATEWAY_RATE_LIMIT"] == "50/second;1000/minute"
    # The URL may carry a password: it comes from a Secret, never the ConfigMap.
    gateway_config = named(objects, "ConfigMap", full("gateway"))["data"]
    assert "GATEWAY_RATE_LIMIT_STORAGE_URL" not in gateway_config
    assert gateway["GATEWAY_RATE_LIMIT_STORAGE_URL"]["secretKeyRef"] == {
        "name": full("rate-limit-store"),
        "key": "url",
    }
    assert secret_value(objects, full("rate-limit-store"), "url") == (
        f"redis://{full(REDIS)}:6379/0"
    )
    service = named(objects, "Service", full(REDIS))
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(6379, "redis")]
    redis_pod = named(objects, "Deployment", full(REDIS))["spec"]["template"]
    assert selects(service["spec"]["selector"], redis_pod["metadata"]["labels"])
    assert redis_pod["spec"]["containers"][0]["image"] == "redis:7.4-alpine"
    assert "GATEWAY_RATE_LIMIT_STORAGE_URL" not in env_of(objects, "order-service")

    gateway_policy = named(objects, "NetworkPolicy", full("gateway"))
    to_redis = [
        rule
        for rule in gateway_policy["spec"]["egress"]
        for peer in rule.get("to", [])
        if peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
        == REDIS
    ]
    assert [[p["port"] for p in rule["ports"]] for rule in to_redis] == [[6379]]
    redis_policy = named(objects, "NetworkPolicy", full(REDIS))
    # Every ingress rule names its sources: none admits any pod.
    assert all(rule.get("from") for rule in redis_policy["spec"]["ingress"])
    assert ingress_components(redis_policy) == {"gateway"}
    assert {p["port"] for r in redis_policy["spec"]["ingress"] for p in r["ports"]} == {6379}
    assert redis_policy["spec"]["egress"] == []


def test_an_external_store_from_an_existing_secret_replaces_the_bundled_redis(
    render: Render,
) -> None:
    objects = render(SCENARIOS["existing-secrets"])
    assert env_of(objects, "gateway")["GATEWAY_RATE_LIMIT_STORAGE_URL"]["secretKeyRef"] == {
        "name": "platform-rate-limit",
        "key": "redis-url",
    }
    assert bundled_redis(objects) == []
    gateway_policy = named(objects, "NetworkPolicy", full("gateway"))
    assert 6379 in egress_ports(gateway_policy)
    assert REDIS not in egress_components(gateway_policy)


def test_an_external_store_url_is_kept_in_a_secret_and_its_port_opened(render: Render) -> None:
    objects = render(SCENARIOS["external-rate-limit-store"])
    url = "rediss://:s3cret@counts.internal:6380/2"
    assert secret_value(objects, full("rate-limit-store"), "url") == url
    assert url not in json.dumps(of_kind(objects, "ConfigMap"))
    assert bundled_redis(objects) == []
    store_rules = [
        rule
        for rule in named(objects, "NetworkPolicy", full("gateway"))["spec"]["egress"]
        if rule["ports"] == [{"protocol": "TCP", "port": 6380}]
    ]
    assert [rule.get("to") for rule in store_rules] == [[{"ipBlock": {"cidr": "10.20.0.0/16"}}]]


NO_BUNDLED_REDIS = {"redis": {"enabled": False}}


@pytest.mark.parametrize(
    ("gateway_values", "replicas"),
    [
        ({}, 6),  # the default: autoscaling up to 6
        ({"replicas": 3, "autoscaling": {"enabled": False}}, 3),
        ({"replicas": 1, "autoscaling": {"enabled": True, "minReplicas": 1}}, 6),
    ],
)
def test_several_gateway_replicas_without_a_store_fail_the_render(
    render: Render, gateway_values: dict[str, Any], replicas: int
) -> None:
    values = {"rateLimit": NO_BUNDLED_REDIS, "services": {"gateway": gateway_values}}
    with pytest.raises(helm.HelmRenderError) as caught:
        render(values)
    assert (
        f"rateLimit: the gateway may run {replicas} replicas but they share no rate limit store"
        in str(caught.value)
    )
    assert "rateLimit.perReplicaCounting=true" in str(caught.value)


def test_counting_per_replica_is_a_choice_the_values_must_state(
    render: Render, render_raw: Callable[[dict[str, Any] | None], dict[str, str]]
) -> None:
    per_replica = {"rateLimit": {"perReplicaCounting": True}}
    chosen = render(per_replica)
    assert "GATEWAY_RATE_LIMIT_STORAGE_URL" not in env_of(chosen, "gateway")
    notes = render_raw(per_replica)["commerce-platform/templates/NOTES.txt"]
    assert "each of up to 6 gateway replicas grants a client the whole rate limit" in notes
    assert bundled_redis(chosen) == []
    secrets = {secret["metadata"]["name"] for secret in of_kind(chosen, "Secret")}
    assert full("rate-limit-store") not in secrets

    both = {"perReplicaCounting": True, "storage": {"url": "redis://counts:6379/0"}}
    with pytest.raises(helm.HelmRenderError, match=r"rateLimit\.perReplicaCounting=true asks for"):
        render({"rateLimit": both})


def test_a_single_gateway_needs_no_store(render: Render) -> None:
    single = {"replicas": 1, "autoscaling": {"enabled": False}}
    objects = render({"rateLimit": NO_BUNDLED_REDIS, "services": {"gateway": single}})
    assert named(objects, "Deployment", full("gateway"))["spec"]["replicas"] == 1
    assert "GATEWAY_RATE_LIMIT_STORAGE_URL" not in env_of(objects, "gateway")
    assert bundled_redis(objects) == []
    assert 6379 not in egress_ports(named(objects, "NetworkPolicy", full("gateway")))


def test_existing_secrets_replace_the_chart_secrets(render: Render) -> None:
    objects = render(SCENARIOS["existing-secrets"])
    assert of_kind(objects, "Secret") == []
    env = env_of(objects, "user-service")
    assert env["USER_ADMIN_TOKEN"]["secretKeyRef"] == {"name": "platform-auth", "key": "token"}
    assert env["DATABASE_PASSWORD"]["secretKeyRef"] == {"name": "platform-db", "key": "pw"}


def test_dependencies_switch_moves_migrations_after_install(render: Render) -> None:
    job = named(render(SCENARIOS["dependencies"]), "Job", full("migrations"))
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"


def test_generated_files_are_loaded_verbatim_not_templated(render: Render) -> None:
    objects = render({})
    rule = named(objects, "PrometheusRule", full("rules"))
    groups = {g["name"]: g for g in rule["spec"]["groups"]}
    assert set(groups) == {"slo-checkout-availability", "platform-alerts"}
    alert = groups["slo-checkout-availability"]["rules"][1]
    assert alert["annotations"]["summary"] == (
        "{{ $labels.slo }} burns its error budget at {{ $value | humanizePercentage }}"
    )
    dashboard = named(
        objects, "ConfigMap", f"{RELEASE}-commerce-platform-dashboard-checkout-overview"
    )
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    fixture = (FIXTURES / "dashboards" / "Checkout_Overview.json").read_text()
    assert dashboard["data"] == {"Checkout_Overview.json": fixture}


def test_chart_renders_without_generated_files(tmp_path: Path, manifests_of: Any) -> None:
    bare = tmp_path / "commerce-platform"
    shutil.copytree(CHART, bare, ignore=shutil.ignore_patterns("files"))
    objects = manifests_of(helm.Chart.load(bare).render(name=RELEASE, namespace=NAMESPACE))
    assert of_kind(objects, "PrometheusRule") == []
    assert not [
        c for c in of_kind(objects, "ConfigMap") if "grafana_dashboard" in c["metadata"]["labels"]
    ]
    assert len(of_kind(objects, "Deployment")) == 8  # the seven workloads and Redis


def test_chart_renders_the_generated_files_it_ships(manifests_of: Any) -> None:
    """The chart as committed, with whatever `harness generate` wrote into files/."""
    rule_files = sorted((CHART / "files" / "prometheus-rules").glob("*.yaml"))
    dashboards = sorted((CHART / "files" / "dashboards").glob("*.json"))
    objects = manifests_of(helm.Chart.load(CHART).render(name=RELEASE, namespace=NAMESPACE))
    expected_groups = [
        group["name"]
        for path in rule_files
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", [])
    ]
    rules = of_kind(objects, "PrometheusRule")
    assert [g["name"] for r in rules for g in r["spec"]["groups"]] == expected_groups
    schema = json.loads((HERE / "schemas" / "prometheusrule.json").read_text())
    for rule in rules:
        jsonschema.validate(rule, schema)
    dashboard_maps = [
        c for c in of_kind(objects, "ConfigMap") if "grafana_dashboard" in c["metadata"]["labels"]
    ]
    assert sorted(k for c in dashboard_maps for k in c["data"]) == [p.name for p in dashboards]


def test_a_broken_rule_file_fails_the_render_naming_the_file(
    fixture_chart: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "commerce-platform"
    shutil.copytree(fixture_chart, broken)
    (broken / "files" / "prometheus-rules" / "oops.yaml").write_text("rules: []\n")
    with pytest.raises(helm.HelmRenderError, match=r"files/prometheus-rules/oops.yaml: expected"):
        helm.Chart.load(broken).render(name=RELEASE, namespace=NAMESPACE)


def test_chaos_job_has_exactly_the_rbac_it_needs(render: Render) -> None:
    objects = render(SCENARIOS["harness"])
    role = named(objects, "Role", full("chaos"))
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert granted == {
        ("", "pods", "get"),
        ("", "pods", "list"),
        ("", "pods", "delete"),
        ("apps", "deployments", "get"),
        ("apps", "deployments", "list"),
        ("apps", "deployments", "patch"),
        ("apps", "deployments/scale", "get"),
        ("apps", "deployments/scale", "patch"),
        ("networking.k8s.io", "networkpolicies", "create"),
        ("networking.k8s.io", "networkpolicies", "delete"),
        ("networking.k8s.io", "networkpolicies", "get"),
        ("networking.k8s.io", "networkpolicies", "list"),
    }
    assert of_kind(objects, "ClusterRole") == [] and of_kind(objects, "ClusterRoleBinding") == []
    job = named(objects, "Job", full("chaos"))
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == full("chaos")
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert "for experiment in *.json" in script

    scheduled = render(SCENARIOS["chaos-scheduled"])
    cron = named(scheduled, "CronJob", full("chaos"))
    assert cron["spec"]["schedule"] == "0 3 * * *"
    command = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "for experiment in pod-kill.json scale-down.json" in command[2]
    assert of_kind(scheduled, "Job") == [named(scheduled, "Job", full("migrations"))]


def test_locust_is_off_by_default_and_points_at_the_gateway(render: Render) -> None:
    assert not [d for d in of_kind(render({}), "Deployment") if "locust" in d["metadata"]["name"]]
    objects = render(SCENARIOS["harness"])
    master = named(objects, "Deployment", full("locust-master"))
    command = master["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:4] == ["locust", "-f", "load_scenarios/locustfile.py", "--master"]
    assert f"http://{full('gateway')}:8000" in command
    worker = named(objects, "Deployment", full("locust-worker"))
    assert worker["spec"]["replicas"] == 2
    assert full("locust-master") in worker["spec"]["template"]["spec"]["containers"][0]["command"]
