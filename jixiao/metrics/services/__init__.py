"""Writes of the metrics app: keyword-only, atomic, audited."""
