"""Alerting beyond SLO burn rates: symptom alerts, Alertmanager config, promtool unit tests."""
