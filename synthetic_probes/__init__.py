"""Synthetic probes: multi-step HTTP journeys through the gateway, run on a schedule.

Journeys are YAML files in ``journeys/`` (format: docs/load-and-probes.md). The runner
(``python -m synthetic_probes``) runs each on its interval and exports blackbox-style
metrics; ``harness probe run JOURNEY`` runs one once.
"""
