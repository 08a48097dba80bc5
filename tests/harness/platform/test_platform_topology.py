"""The declarative topology: ports, dependencies, environment wiring."""

from pathlib import Path

import pytest

from harness.platform import lifecycle, state
from harness.platform.topology import (
    KAFKA_FACT,
    PlatformOptions,
    Ports,
    build_topology,
)


def _topology(tmp_path: Path, **kwargs):
    return build_topology(PlatformOptions(run_dir=tmp_path, **kwargs))


def test_default_ports_follow_the_architecture_contract(tmp_path):
    topology = _topology(tmp_path)
    assert topology["gateway"].port == 8000
    assert topology["postgres"].port == 5433
    assert topology["prometheus"].port == 9090
    assert topology["alertmanager"].port == 9093
    assert topology.control_port == 8009


def test_port_base_shifts_every_port_and_keeps_them_distinct(tmp_path):
    topology = _topology(tmp_path, ports=Ports.from_base(20000))
    ports = [c.port for c in topology.components if c.port] + [topology.control_port]
    assert topology["gateway"].port == 20000
    assert len(ports) == len(set(ports))
    assert all(20000 <= p <= 20012 for p in ports)


def test_port_base_out_of_range_is_refused():
    with pytest.raises(ValueError, match="outside"):
        Ports.from_base(80)


def test_free_ports_are_distinct():
    ports = Ports.free()
    assert len(set(ports.by_component.values())) == len(ports.by_component)


def test_services_wait_for_the_database_and_the_broker(tmp_path):
    topology = _topology(tmp_path)
    assert set(topology["order-service"].depends_on) == {"postgres", "kafka"}
    assert topology["gateway"].depends_on == ()
    assert topology["order-service"].env["KAFKA_BOOTSTRAP_SERVERS"] == "{" + KAFKA_FACT + "}"
    db_url = topology["order-service"].env["ORDER_DATABASE_URL"]
    assert db_url.startswith("postgresql://order_service:") and db_url.endswith(
        ":5433/order_service"
    )


def test_gateway_points_at_every_upstream(tmp_path):
    env = _topology(tmp_path, ports=Ports.from_base(30000))["gateway"].env
    assert env["GATEWAY_USER_URL"] == "http://127.0.0.1:30001"
    assert env["GATEWAY_PAYMENT_URL"] == "http://127.0.0.1:30004"
    assert env["GATEWAY_PORT"] == "30000"


def test_external_kafka_replaces_the_dev_broker(tmp_path):
    topology = _topology(tmp_path, external_kafka="kafka-1:9092")
    assert "kafka" not in topology.names
    assert topology.facts[KAFKA_FACT] == "kafka-1:9092"
    assert "kafka" not in topology["payment-service"].depends_on


def test_only_keeps_what_the_components_need(tmp_path):
    topology = _topology(tmp_path, only=("product-service",))
    assert sorted(topology.names) == ["kafka", "postgres", "product-service"]


def test_only_names_an_unknown_component(tmp_path):
    with pytest.raises(ValueError, match="unknown component 'nope'"):
        _topology(tmp_path, only=("nope",))


def test_provider_ledger_lives_and_dies_with_the_postgres_data(tmp_path):
    state_dir = tmp_path / "state"
    postgres_dir = state.postgres_data_dir(state_dir)
    env = _topology(tmp_path / "run", postgres_data_dir=postgres_dir)["payment-provider"].env
    ledger = Path(env["PROVIDER_LEDGER_PATH"])
    assert ledger.parent == postgres_dir.parent  # beside the data, outside PGDATA itself
    postgres_dir.mkdir(parents=True)
    (postgres_dir / "PG_VERSION").write_text("16\n")
    for suffix in ("", "-wal", "-shm"):
        ledger.with_name(ledger.name + suffix).write_text("charges")
    lifecycle.wipe_databases(state_dir)  # what `harness up --fresh` does
    assert not postgres_dir.exists()
    assert list(ledger.parent.iterdir()) == []
