from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "jixiao.attendance"
    label = "attendance"
    verbose_name = _("考勤与排班")

    def ready(self) -> None:
        from jixiao.attendance import (
            rules,  # noqa: F401  (registers object permissions)
            tasks_calendars,  # noqa: F401  (registers the daily job)
            tasks_requests,  # noqa: F401  (registers the nightly leave expiries)
        )
        from jixiao.attendance.setup_cache import setup_signals_connect

        setup_signals_connect()
