"""Saved column mappings and import batches (one per uploaded file)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from jixiao.core.models import Company


class ImportMapping(models.Model):
    """A column → field mapping saved under a name for the next file of the same layout."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    importer = models.CharField(_("导入类型"), max_length=50)
    name = models.CharField(_("名称"), max_length=100)
    columns = models.JSONField(_("列映射"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("导入列映射")
        verbose_name_plural = _("导入列映射")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "importer", "name"], name="import_mapping_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """One uploaded file on its way through preview to commit, with its outcome."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        PREVIEWED = "previewed", _("已预览")
        COMMITTING = "committing", _("导入中")
        COMMITTED = "committed", _("已导入")
        FAILED = "failed", _("失败")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("全部成功才导入")
        VALID_ROWS_ONLY = "valid_rows_only", _("只导入无错误的行")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    importer = models.CharField(_("导入类型"), max_length=50)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    content = models.BinaryField(_("文件内容"), editable=False)
    headers = models.JSONField(_("表头"), default=list)
    header_row = models.PositiveIntegerField(_("表头所在行"), default=1)
    row_count = models.PositiveIntegerField(_("数据行数"), default=0)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.UPLOADED
    )
    mode = models.CharField(
        _("导入方式"), max_length=20, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    options = models.JSONField(_("选项"), default=dict, blank=True)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化"), default=0)
    error_row_count = models.PositiveIntegerField(_("出错行数"), default=0)
    warning_count = models.PositiveIntegerField(_("提醒"), default=0)
    errors = models.JSONField(_("错误与提醒"), default=list, blank=True)
    preview = models.JSONField(_("预览"), default=dict, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "importer", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMMITTED, self.Status.FAILED)

    @property
    def error_count(self) -> int:
        return sum(1 for issue in self.errors if issue.get("level") == "error")
