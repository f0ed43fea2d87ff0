"""The attendance API: one router per area, mounted under /api/v1/attendance."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["attendance"])

from jixiao.attendance.api.calendars import router as calendars_router  # noqa: E402

router.add_router("/calendars", calendars_router)

from jixiao.attendance.api.schedules import router as schedules_router  # noqa: E402

router.add_router("", schedules_router)

from jixiao.attendance.api.punches import activities_router  # noqa: E402
from jixiao.attendance.api.punches import router as punches_router  # noqa: E402

router.add_router("/punches", punches_router)
router.add_router("/activities", activities_router)

from jixiao.attendance.api.requests import router as requests_router  # noqa: E402

router.add_router("", requests_router)

from jixiao.attendance.api.results import router as results_router  # noqa: E402

router.add_router("/results", results_router)

from jixiao.attendance.api.team import router as team_router  # noqa: E402

router.add_router("/team", team_router)
