"""Scoring a game day: the record, the scorer, the gate and the report renderers."""
