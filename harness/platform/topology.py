"""What runs where: every component of the local platform, in one declarative place.

A component's environment may name values that only exist once another component is
up, written as ``{fact}`` placeholders (the dev Kafka broker publishes
``kafka_bootstrap``, since librdkafka picks its port). The supervisor fills them in at
spawn time and restarts a component when a value it was started with changes.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import signal
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness.platform import monitoring
from harness.platform.processes import free_ports
from harness.platform.readiness import AddressFile, HttpOk, PostgresReady, ReadinessCheck

# Default ports (docs/architecture.md). With --port-base, component ports are
# base + offset instead, so two platforms can run side by side.
DEFAULT_PORTS: dict[str, int] = {
    "gateway": 8000,
    "user-service": 8001,
    "product-service": 8002,
    "order-service": 8003,
    "payment-service": 8004,
    "payment-provider": 8005,
    "probe-runner": 8006,
    "harness": 8009,
    "postgres": 5433,
    "prometheus": 9090,
    "alertmanager": 9093,
}
PORT_OFFSETS: dict[str, int] = {
    "gateway": 0,
    "user-service": 1,
    "product-service": 2,
    "order-service": 3,
    "payment-service": 4,
    "payment-provider": 5,
    "probe-runner": 6,
    "harness": 9,
    "postgres": 10,
    "prometheus": 11,
    "alertmanager": 12,
}

# service name -> (python package, env prefix)
SERVICES: dict[str, tuple[str, str]] = {
    "gateway": ("gateway", "GATEWAY_"),
    "user-service": ("user_service", "USER_"),
    "product-service": ("product_service", "PRODUCT_"),
    "order-service": ("order_service", "ORDER_"),
    "payment-service": ("payment_service", "PAYMENT_"),
    "payment-provider": ("payment_provider", "PROVIDER_"),
}
DATABASE_SERVICES = ("user-service", "product-service", "order-service", "payment-service")
KAFKA_SERVICES = DATABASE_SERVICES
KAFKA_FACT = "kafka_bootstrap"
PROVIDER_LEDGER_FILE = "payment-provider-ledger.sqlite3"
DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEFAULT_ADMIN_PASSWORD = "admin-password"  # noqa: S105 - documented local demo account

Profile = Literal["default", "game"]
GAME_PROBE_INTERVAL_S = 3


@dataclass(frozen=True)
class Component:
    name: str
    command: tuple[str, ...]
    ready: ReadinessCheck
    port: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    restart: Literal["always", "never"] = "always"
    stop_signal: int = signal.SIGTERM
    metrics_path: str | None = "/metrics"  # what Prometheus scrapes; None: not scraped
    user: str | None = None  # run as this user (PostgreSQL refuses to run as root)
    prepare: Callable[[Topology], None] | None = None  # before every spawn (config, initdb)


@dataclass(frozen=True)
class Ports:
    by_component: Mapping[str, int]

    def __getitem__(self, name: str) -> int:
        return self.by_component[name]

    @classmethod
    def default(cls) -> Ports:
        return cls(dict(DEFAULT_PORTS))

    @classmethod
    def from_base(cls, base: int) -> Ports:
        if not 1024 <= base <= 65535 - max(PORT_OFFSETS.values()):
            raise ValueError(f"--port-base {base} is outside 1024..{65535 - 12}")
        return cls({name: base + offset for name, offset in PORT_OFFSETS.items()})

    @classmethod
    def free(cls) -> Ports:
        names = sorted(DEFAULT_PORTS)
        return cls(dict(zip(names, free_ports(len(names)), strict=True)))


@dataclass(frozen=True)
class PlatformOptions:
    """Everything that shapes a topology; the CLI and the tests build one of these."""

    run_dir: Path
    ports: Ports = field(default_factory=Ports.default)
    postgres_data_dir: Path | None = None  # default: inside the run directory
    project_root: Path = field(default_factory=lambda: Path(__file__).resolve().parents[2])
    profile: Profile = "default"
    external_kafka: str = ""  # KAFKA_BOOTSTRAP_SERVERS: use a real cluster, no dev broker
    admin_email: str = DEFAULT_ADMIN_EMAIL
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    only: tuple[str, ...] = ()  # start just these (and what they depend on)
    python: str = sys.executable

    @property
    def postgres_dir(self) -> Path:
        return self.postgres_data_dir or self.run_dir / "postgres-data"

    @property
    def provider_ledger(self) -> Path:
        return provider_ledger_beside(self.postgres_dir)


def provider_ledger_beside(postgres_dir: Path) -> Path:
    """The payment provider's charge ledger lives next to the PostgreSQL data, so it
    lasts exactly as long as the payment database it is reconciled with."""
    return postgres_dir.parent / PROVIDER_LEDGER_FILE


@dataclass(frozen=True)
class Topology:
    components: tuple[Component, ...]
    ports: Ports
    run_dir: Path
    project_root: Path
    profile: Profile = "default"
    facts: Mapping[str, str] = field(default_factory=dict)  # known before anything starts

    @property
    def control_port(self) -> int:
        return self.ports["harness"]

    @property
    def receiver_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}/alerts"

    def __getitem__(self, name: str) -> Component:
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.components]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self[name].port}"

    def dependents(self, name: str) -> list[Component]:
        return [c for c in self.components if name in c.depends_on]


def _http(port: int, path: str = "/readyz") -> HttpOk:
    return HttpOk(f"http://127.0.0.1:{port}{path}")


def probes_available() -> bool:
    return importlib.util.find_spec("synthetic_probes") is not None


def _service_env(opts: PlatformOptions, kafka: str) -> dict[str, dict[str, str]]:
    ports = opts.ports

    def url(name: str) -> str:
        return f"http://127.0.0.1:{ports[name]}"

    jwks = f"{url('user-service')}/.well-known/jwks.json"
    env: dict[str, dict[str, str]] = {}
    for name, (_, prefix) in SERVICES.items():
        values = {f"{prefix}HOST": "127.0.0.1", f"{prefix}PORT": str(ports[name])}
        if name != "payment-provider":
            values[f"{prefix}JWKS_URL"] = jwks
        if name in DATABASE_SERVICES:
            from harness.platform.postgres import service_database

            values[f"{prefix}DATABASE_URL"] = service_database(name).url(ports["postgres"])
        if name in KAFKA_SERVICES:
            values["KAFKA_BOOTSTRAP_SERVERS"] = kafka
        env[name] = values
    env["user-service"] |= {
        "USER_ADMIN_EMAIL": opts.admin_email,
        "USER_ADMIN_PASSWORD": opts.admin_password,
    }
    env["order-service"]["ORDER_PRODUCT_URL"] = url("product-service")
    env["payment-service"]["PAYMENT_PROVIDER_URL"] = url("payment-provider")
    env["payment-provider"]["PROVIDER_LEDGER_PATH"] = str(opts.provider_ledger)
    env["gateway"] |= {
        "GATEWAY_USER_URL": url("user-service"),
        "GATEWAY_PRODUCT_URL": url("product-service"),
        "GATEWAY_ORDER_URL": url("order-service"),
        "GATEWAY_PAYMENT_URL": url("payment-service"),
    }
    return env


def build_topology(opts: PlatformOptions) -> Topology:
    """The whole platform; ``opts.only`` trims it to some components and their needs."""
    from harness.platform.postgres import prepare_server, run_as_user, server_command

    ports = opts.ports
    py = opts.python
    components: list[Component] = [
        Component(
            name="postgres",
            command=tuple(server_command(opts.postgres_dir, ports["postgres"])),
            port=ports["postgres"],
            ready=PostgresReady(ports["postgres"], DATABASE_SERVICES),
            stop_signal=signal.SIGINT,  # PostgreSQL's "fast" shutdown
            metrics_path=None,
            user=run_as_user(),
            prepare=lambda _: prepare_server(opts.postgres_dir),
        ),
    ]
    kafka_deps: tuple[str, ...] = ()
    facts: dict[str, str] = {}
    if opts.external_kafka:
        facts[KAFKA_FACT] = opts.external_kafka
    else:
        address_file = opts.run_dir / "kafka.address"
        components.append(
            Component(
                name="kafka",
                command=(
                    py,
                    "-m",
                    "harness.platform.devkafka",
                    "--address-file",
                    str(address_file),
                ),
                ready=AddressFile(address_file, KAFKA_FACT),
                metrics_path=None,
                prepare=lambda _: address_file.unlink(missing_ok=True),  # never a stale address
            )
        )
        kafka_deps = ("kafka",)
    service_env = _service_env(opts, "{" + KAFKA_FACT + "}")
    for name, (package, _) in SERVICES.items():
        deps: tuple[str, ...] = ()
        if name in DATABASE_SERVICES:
            deps = ("postgres", *kafka_deps)
        components.append(
            Component(
                name=name,
                command=(py, "-m", f"system_under_test.{package}"),
                port=ports[name],
                env=service_env[name],
                ready=_http(ports[name]),
                depends_on=deps,
            )
        )
    if probes_available():
        components.append(
            Component(
                name="probe-runner",
                command=(py, "-m", "synthetic_probes"),
                port=ports["probe-runner"],
                env={
                    "PROBES_HOST": "127.0.0.1",
                    "PROBES_PORT": str(ports["probe-runner"]),
                    "PROBES_GATEWAY_URL": f"http://127.0.0.1:{ports['gateway']}",
                    # A game lasts minutes: journeys every few seconds give the probe
                    # SLO enough runs to judge.
                    **(
                        {"PROBES_MAX_INTERVAL_S": str(GAME_PROBE_INTERVAL_S)}
                        if opts.profile == "game"
                        else {}
                    ),
                },
                ready=_http(ports["probe-runner"]),
                # Not before the services: its first journey would count as an outage.
                depends_on=tuple(SERVICES),
            )
        )
    components += [
        Component(
            name="prometheus",
            command=monitoring.prometheus_command(opts.run_dir, ports["prometheus"]),
            port=ports["prometheus"],
            ready=_http(ports["prometheus"], "/-/ready"),
            prepare=monitoring.write_prometheus_config,
        ),
        Component(
            name="alertmanager",
            command=monitoring.alertmanager_command(opts.run_dir, ports["alertmanager"]),
            port=ports["alertmanager"],
            ready=_http(ports["alertmanager"], "/-/ready"),
            prepare=monitoring.write_alertmanager_config,
        ),
    ]
    topology = Topology(
        tuple(components), ports, opts.run_dir, opts.project_root, opts.profile, facts
    )
    if opts.only:
        topology = _trim(topology, opts.only)
    return topology


def _trim(topology: Topology, wanted: Iterable[str]) -> Topology:
    keep: set[str] = set()
    pending = list(wanted)
    while pending:
        name = pending.pop()
        if name in keep:
            continue
        try:
            component = topology[name]
        except KeyError:
            known = ", ".join(topology.names)
            raise ValueError(f"unknown component {name!r} (known: {known})") from None
        keep.add(name)
        pending.extend(component.depends_on)
    components = tuple(c for c in topology.components if c.name in keep)
    return dataclasses.replace(topology, components=components)


def default_environment() -> dict[str, str]:
    """The harness' own environment, passed on to children (PATH, PYTHONPATH, ...)."""
    return dict(os.environ)
