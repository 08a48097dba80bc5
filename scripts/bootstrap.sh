#!/usr/bin/env bash
# Set up a fresh machine: the Debian packages the harness runs (when root with apt),
# then a virtualenv in .venv with the project and its dev tools. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package -> a command it provides (what is checked for).
declare -A DEBIAN_PACKAGES=(
  [prometheus]=prometheus                 # Prometheus and promtool
  [prometheus-alertmanager]=prometheus-alertmanager  # Alertmanager and amtool
  [chromium]=chromium                     # the HTML report, rendered and checked headless
  [redis-server]=redis-server             # the gateway's shared rate-limit store (tests)
  [stress-ng]=stress-ng                   # the CPU hog of scripts/suite_soak.py
  [wrk]=wrk                               # the baseline load generator of the benchmarks
)
missing=()
for package in "${!DEBIAN_PACKAGES[@]}"; do
  command -v "${DEBIAN_PACKAGES[$package]}" >/dev/null || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing ${missing[*]}: install them with 'sudo apt-get install ${missing[*]}'" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "bootstrap: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [[ ! -f $stamp ]]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
