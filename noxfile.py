"""Automation sessions. They run in the project's .venv (made by scripts/bootstrap.sh)
instead of building a virtualenv per session: one install, fast re-runs."""

from __future__ import annotations

import sys

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "generate_check", "tests"]
PY = sys.executable  # the .venv interpreter that runs nox

SOURCES = [
    "harness",
    "system_under_test",
    "slo",
    "alerts",
    "dashboards",
    "load_scenarios",
    "synthetic_probes",
    "chaos_experiments",
    "reports",
    "scripts",
    "tests",
    "noxfile.py",
]


def _existing(session: nox.Session) -> list[str]:
    from pathlib import Path

    return [s for s in SOURCES if Path(s).exists()]


@nox.session
def lint(session: nox.Session) -> None:
    session.run(PY, "-m", "ruff", "check", *_existing(session))
    session.run(PY, "-m", "ruff", "format", "--check", *_existing(session))


@nox.session
def typecheck(session: nox.Session) -> None:
    session.run(PY, "-m", "mypy", *_existing(session))


@nox.session
def generate_check(session: nox.Session) -> None:
    """Generated rules, alerts, dashboards and the API contract are committed and current."""
    session.run(PY, "-m", "harness", "generate", "--check")
    session.run(PY, "-m", "system_under_test.contracts", "--check")


@nox.session
def tests(session: nox.Session) -> None:
    """Every test, the slow ones (real platform, Prometheus, game days) included, on three
    workers. Each xdist group stays on one worker: the shared-platform tests, the chaos
    experiments, each slow module, and the judged games (one at a time). The longest
    groups are handed out first (tests/conftest.py orders them; xdist's own reordering by
    test count would start them last). The games group, about 6.5 minutes, mostly waits
    on its game's clock and leaves the CPU to the other two workers; with two workers in
    all it held one of them (pytest 517 s against 412 s with three, the judged games
    passing with no bad latency event either way).
    The 25 slowest setups, calls and teardowns close the output: where the time goes."""
    session.run(
        PY, "-m", "pytest", "-n", "3", "--dist", "loadgroup", "--no-loadscope-reorder",
        "--durations", "25", *session.posargs,
    )  # fmt: skip


@nox.session
def fast(session: nox.Session) -> None:
    """The inner loop: every test that starts no server, on both cores."""
    session.run(PY, "-m", "pytest", "-m", "not slow", "-n", "2", *session.posargs)


@nox.session
def chaos(session: nox.Session) -> None:
    """Every local chaos experiment end to end against a real platform."""
    session.run(PY, "-m", "pytest", "tests/chaos_experiments", *session.posargs)


@nox.session
def security(session: nox.Session) -> None:
    """Schemathesis against the gateway's contract on a platform of its own, with a
    customer's and the admin's token; prints its summary (test cases, failures).
    The suite runs the same test with fewer examples per operation."""
    import os

    examples = os.environ.get("FUZZ_MAX_EXAMPLES", "100")
    seed = os.environ.get("FUZZ_SEED", "random")
    session.run(
        PY,
        "-m",
        "pytest",
        "tests/security",
        "-s",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"FUZZ_MAX_EXAMPLES": examples, "FUZZ_SEED": seed},
    )


@nox.session
def gameday(session: nox.Session) -> None:
    session.run(PY, "-m", "harness", "gameday", "--profile", "smoke", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (ratios against a baseline measured in the same run)."""
    for script in ("scripts/bench_up.py", "scripts/bench_load.py"):
        session.run(PY, script, *session.posargs)


@nox.session
def soak(session: nox.Session) -> None:
    """`make test` on fresh clones, some beside a CPU hog: `nox -s soak -- --runs 3`."""
    session.run(PY, "scripts/suite_soak.py", *session.posargs)


@nox.session
def fidelity(session: nox.Session) -> None:
    """The verdict's own test: every mutant must fail the gate, clean games pass it.
    `nox -s fidelity -- --clean 10 --mutants none`; `-- --list` shows the mutants."""
    session.run(PY, "-m", "harness.fidelity", *session.posargs)
