"""The metrics API, mounted under /api/v1/metrics: one router per area."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["metrics"])

from jixiao.metrics.api.bulk_import import router as bulk_import_router  # noqa: E402
from jixiao.metrics.api.data import router as data_router  # noqa: E402
from jixiao.metrics.api.indicators import router as indicators_router  # noqa: E402
from jixiao.metrics.api.people import router as people_router  # noqa: E402
from jixiao.metrics.api.rollups import router as rollups_router  # noqa: E402
from jixiao.metrics.api.source_check import router as source_check_router  # noqa: E402
from jixiao.metrics.api.sources import push_router  # noqa: E402
from jixiao.metrics.api.sources import router as sources_router  # noqa: E402

router.add_router("", indicators_router)
router.add_router("", source_check_router)  # before "/sources/{source_id}"
router.add_router("", sources_router)
router.add_router("", bulk_import_router)
router.add_router("", push_router)
router.add_router("", data_router)
router.add_router("", people_router)
router.add_router("", rollups_router)

from jixiao.metrics.api.quality import router as quality_router  # noqa: E402

router.add_router("", quality_router)
