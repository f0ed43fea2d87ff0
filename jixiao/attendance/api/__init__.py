"""The attendance API: one router per area, mounted under /api/v1/attendance."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["attendance"])
