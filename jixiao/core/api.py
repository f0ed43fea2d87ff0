"""API endpoints about the caller: who am I, my API tokens."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["me"])
