"""Grafana dashboards as code (*.dashboard.py, grafanalib), post-processing and a linter."""
