from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "jixiao.imports"
    label = "imports"
    verbose_name = _("导入导出")

    def ready(self) -> None:
        # Each app declares its importers in ``<app>/importers.py``; importing them registers them.
        autodiscover_modules("importers")
