"""Signals the org app sends for writes that bypass model signals.

``departments_bulk_created``: ``sender`` is ``Department``, ``company_id`` the company whose
department tree grew by a bulk insert (an org import). Apps that keep a copy of the
tree (attendance's set-up cache) listen to it.
"""

from __future__ import annotations

from django.dispatch import Signal

departments_bulk_created = Signal()
