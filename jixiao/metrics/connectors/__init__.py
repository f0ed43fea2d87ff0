"""Pull connectors: one small module per kind of system, registered by kind."""

from __future__ import annotations

import importlib

CONNECTOR_MODULES = ("git", "issue_tracker", "crm", "email", "erp")


def load_all() -> None:
    """Import every connector module so that each registers itself."""
    for name in CONNECTOR_MODULES:
        importlib.import_module(f"jixiao.metrics.connectors.{name}")
