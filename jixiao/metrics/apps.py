from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "jixiao.metrics"
    label = "metrics"
    verbose_name = _("指标与数据集成")

    def ready(self) -> None:
        from jixiao.metrics import (
            receivers,  # noqa: F401  (publishes locked attendance months)
            rules,  # noqa: F401  (registers object permissions)
        )
