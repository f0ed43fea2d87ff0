"""Data-source set-up screens (HR; executives read) and the per-source import wizard.

The set-up form is generated from each connector's config dataclass, so a new
connector gets its form without template work; secrets are shown as "***" and a
"***" sent back keeps the stored secret (``services.sources``). The wizard is the
import framework's (upload → map columns → dry run → commit) with the file going
into one chosen source, whose last column mapping is offered again next time.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.core.api_errors import ServiceError
from jixiao.imports import selectors as import_selectors
from jixiao.imports import services as import_services
from jixiao.imports.engine import Importer
from jixiao.imports.models import ImportBatch
from jixiao.imports.views import MappingForm
from jixiao.metrics import push
from jixiao.metrics.connectors.base import (
    MASK,
    ConnectionReport,
    config_masked,
    connector_for,
    connector_kinds,
)
from jixiao.metrics.importers import IMPORTABLE_KINDS, MetricEventImporter
from jixiao.metrics.models import MetricSource, SourceKind, SourceRun
from jixiao.metrics.services import bulk_import
from jixiao.metrics.services import sources as services
from jixiao.metrics.services.sync import (
    next_sync_at,
    source_config_test,
    source_connection_test,
)
from jixiao.metrics.tasks import metric_source_sync

ADMIN = "metrics.administer"
IMPORTER = MetricEventImporter.name
CREATABLE_KINDS = (
    SourceKind.PUSH,
    SourceKind.FILE,
    SourceKind.GIT,
    SourceKind.ISSUE_TRACKER,
    SourceKind.CRM,
    SourceKind.EMAIL,
    SourceKind.ERP,
)
KIND_HELP = {
    SourceKind.PUSH: gettext_lazy("对方系统用签名请求把数据推送过来（HMAC-SHA256）。"),
    SourceKind.FILE: gettext_lazy("HR 上传 CSV / Excel 文件，按列对应导入。"),
    SourceKind.GIT: gettext_lazy("按作者统计提交和合并（本地或远程仓库）。"),
    SourceKind.ISSUE_TRACKER: gettext_lazy("Jira 格式的接口：已解决任务、缺陷、故事点、周期。"),
    SourceKind.CRM: gettext_lazy("CRM 接口：客户、订单、复购、拜访；也可上传导出文件。"),
    SourceKind.EMAIL: gettext_lazy("IMAP 或 mbox：与客户域名的往来邮件数（只读元数据）。"),
    SourceKind.ERP: gettext_lazy("ERP 导出文件：产量、不良数；也可上传导出文件。"),
}
CONFIG_LABELS: dict[str, Any] = {
    "url": gettext_lazy("仓库地址"),
    "branch": gettext_lazy("分支"),
    "repo_name": gettext_lazy("仓库名称（证据中显示）"),
    "username": gettext_lazy("用户名"),
    "password": gettext_lazy("密码"),
    "commit_url_template": gettext_lazy("提交链接模板"),
    "since": gettext_lazy("起始日期（YYYY-MM-DD，可选）"),
    "timeout_seconds": gettext_lazy("超时（秒）"),
    "base_url": gettext_lazy("接口地址"),
    "jql": gettext_lazy("JQL 筛选（可选）"),
    "api_token": gettext_lazy("API 令牌"),
    "bearer_token": gettext_lazy("Bearer 令牌"),
    "story_points_field": gettext_lazy("故事点字段"),
    "bug_issue_types": gettext_lazy("缺陷类型（逗号分隔）"),
    "time_zone": gettext_lazy("时区"),
    "page_size": gettext_lazy("每页条数"),
    "identity_field": gettext_lazy("销售人员按什么匹配"),
    "record_url_template": gettext_lazy("记录链接模板"),
    "internal_domains": gettext_lazy("公司邮箱域名（逗号分隔）"),
    "mode": gettext_lazy("读取方式"),
    "customer_domains": gettext_lazy("客户域名（逗号分隔，可选）"),
    "host": gettext_lazy("IMAP 服务器"),
    "port": gettext_lazy("端口"),
    "use_ssl": gettext_lazy("使用 SSL"),
    "starttls": gettext_lazy("使用 STARTTLS"),
    "mailboxes": gettext_lazy("邮箱文件夹（逗号分隔）"),
    "mbox_path": gettext_lazy("mbox 文件（导出目录下的相对路径）"),
    "path": gettext_lazy("导出文件（导出目录下的相对路径）"),
    "identity_column": gettext_lazy("人员列"),
    "identity_kind": gettext_lazy("人员列的内容"),
    "date_column": gettext_lazy("日期列"),
    "output_column": gettext_lazy("产量列"),
    "defects_column": gettext_lazy("不良数列"),
    "id_column": gettext_lazy("记录编号列（可选）"),
}
CONFIG_HELP: dict[str, Any] = {
    "port": gettext_lazy("0 表示按 SSL 设置使用默认端口。"),
    "commit_url_template": gettext_lazy("例如 https://git.example.com/shop/commit/{sha}"),
    "record_url_template": gettext_lazy("例如 https://crm.example.com/{resource}/{id}"),
    "since": gettext_lazy("只取这一天以后的记录；留空取全部。"),
}
CONFIG_CHOICES: dict[str, list[tuple[str, Any]]] = {
    "mode": [("imap", "IMAP"), ("mbox", gettext_lazy("mbox 文件"))],
    "identity_field": [("email", gettext_lazy("邮箱")), ("id", gettext_lazy("CRM 用户 ID"))],
    "identity_kind": [
        ("employee_number", gettext_lazy("工号")),
        ("identity", gettext_lazy("外部身份（如操作员编号）")),
    ],
}
RUNS_PER_PAGE = 50
CONFIG_PREFIX = "config_"


# --- Who may see what ------------------------------------------------------------------


def _reader(request: HttpRequest) -> Any:
    """HR and executives read the set-up; everybody else gets 403."""
    user: Any = request.user
    if user.company_id is None or not user.has_perm("metrics.view_sources"):
        raise PermissionDenied
    return user


def _admin(request: HttpRequest) -> Any:
    user: Any = request.user
    if user.company_id is None or not user.has_perm(ADMIN):
        raise PermissionDenied
    return user


def _source(user: Any, pk: int) -> MetricSource:
    """The viewer company's source (404 for another company's)."""
    found = (
        MetricSource.objects.filter(company_id=user.company_id, pk=pk)
        .select_related("company")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _importable(source: MetricSource) -> None:
    if source.kind not in IMPORTABLE_KINDS:
        raise Http404


# --- The set-up form, generated from the connector's config ----------------------------


@dataclasses.dataclass(frozen=True)
class ConfigField:
    name: str
    kind: Any
    required: bool
    default: Any
    secret: bool


def _config_fields(kind: str) -> list[ConfigField]:
    if kind not in connector_kinds():
        return []
    cls = connector_for(kind).config_class
    hints = typing.get_type_hints(cls)
    found: list[ConfigField] = []
    for spec in dataclasses.fields(cls):
        hint = hints[spec.name]
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        factory: Any = spec.default_factory
        has_default = spec.default is not dataclasses.MISSING
        has_factory = factory is not dataclasses.MISSING
        default = spec.default if has_default else (factory() if has_factory else None)
        found.append(
            ConfigField(
                spec.name,
                typing.get_origin(hint) or hint,
                not (has_default or has_factory),
                default,
                spec.name in cls.secret_fields,
            )
        )
    return found


def _shown_value(spec: ConfigField, value: Any) -> Any:
    if spec.kind in (tuple, list):
        return ", ".join(str(v) for v in value or ())
    if spec.kind is dict:
        return "\n".join(f"{k}={v}" for k, v in (value or {}).items())
    return value


class SourceForm(forms.Form):
    """Name, schedule and the connector's own settings (``config_<name>``)."""

    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    schedule_minutes = forms.IntegerField(
        label=gettext_lazy("同步间隔（分钟）"),
        required=False,
        min_value=5,
        max_value=60 * 24 * 7,
        help_text=gettext_lazy("留空则只在点“立即同步”时拉取；失败后间隔自动加倍。"),
    )

    def __init__(
        self, *args: Any, kind: str, source: MetricSource | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.specs = _config_fields(kind)
        if not self.specs:
            del self.fields["schedule_minutes"]
        stored = dict(source.config) if source is not None else {}
        if source is not None:
            self.fields["name"].initial = source.name
            if "schedule_minutes" in self.fields:
                self.fields["schedule_minutes"].initial = source.schedule_minutes
        for spec in self.specs:
            self.fields[CONFIG_PREFIX + spec.name] = self._field(spec, stored)

    def _field(self, spec: ConfigField, stored: dict[str, Any]) -> forms.Field:
        label = CONFIG_LABELS.get(spec.name, spec.name)
        help_text = CONFIG_HELP.get(spec.name, "")
        value = stored.get(spec.name, spec.default)
        field: forms.Field
        if spec.secret:
            field = forms.CharField(
                label=label,
                required=False,
                widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
                help_text=_("已保存；保留 *** 则不修改，清空则删除。")
                if stored.get(spec.name)
                else help_text,
            )
            field.initial = MASK if stored.get(spec.name) else ""
            return field
        if spec.kind is bool:
            field = forms.BooleanField(label=label, required=False, help_text=help_text)
        elif spec.kind is int:
            field = forms.IntegerField(label=label, required=spec.required, help_text=help_text)
        elif spec.kind is float:
            field = forms.FloatField(label=label, required=spec.required, help_text=help_text)
        elif spec.kind is dict:
            field = forms.CharField(
                label=label,
                required=spec.required,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=help_text or _("每行一项：名称=值"),
            )
        elif spec.name in CONFIG_CHOICES:
            field = forms.ChoiceField(
                label=label, choices=CONFIG_CHOICES[spec.name], help_text=help_text
            )
        else:
            field = forms.CharField(label=label, required=spec.required, help_text=help_text)
        field.initial = _shown_value(spec, value)
        return field

    def config_fields(self) -> list[forms.BoundField]:
        return [self[CONFIG_PREFIX + spec.name] for spec in self.specs]

    def base_fields_bound(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(CONFIG_PREFIX)]

    def config(self) -> dict[str, Any]:
        """The config as JSON for the service: blanks are left out (the connector's default)."""
        config: dict[str, Any] = {}
        for spec in self.specs:
            value = self.cleaned_data.get(CONFIG_PREFIX + spec.name)
            if spec.kind is bool:
                config[spec.name] = bool(value)
            elif spec.kind in (tuple, list):
                parts = [p.strip() for p in str(value or "").replace("，", ",").split(",")]
                if any(parts):
                    config[spec.name] = [p for p in parts if p]
            elif spec.kind is dict:
                pairs = [
                    line.split("=", 1) for line in str(value or "").splitlines() if "=" in line
                ]
                if pairs:
                    config[spec.name] = {k.strip(): v.strip() for k, v in pairs}
            elif value is None or (isinstance(value, str) and not value.strip()):
                continue
            else:
                config[spec.name] = value
        return config

    def add_service_errors(self, exc: ServiceError) -> None:
        """Field errors of the service onto their fields ("config.url" → ``config_url``)."""
        for key, problems in (exc.fields or {}).items():
            name = CONFIG_PREFIX + key[len("config.") :] if key.startswith("config.") else key
            for problem in problems:
                self.add_error(name if name in self.fields else None, problem)
        if not exc.fields:
            self.add_error(None, exc.message)


# --- Pages -----------------------------------------------------------------------------


@login_required
@require_GET
def source_list(request: HttpRequest) -> HttpResponse:
    """The company's sources with their health."""
    user = _reader(request)
    sources = list(services.sources_with_health(company_id=user.company_id))
    return render(
        request,
        "metrics/source_list.html",
        {
            "sources": sources,
            "can_admin": user.has_perm(ADMIN),
            "kinds": [(kind, kind.label, KIND_HELP[kind]) for kind in CREATABLE_KINDS],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_create(request: HttpRequest, kind: str) -> HttpResponse:
    user = _admin(request)
    if kind not in CREATABLE_KINDS:
        raise Http404
    form = SourceForm(request.POST or None, kind=kind)
    status = 200
    tried: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("action") == "test":
        status, tried = _settings_try(form, kind, None)
    elif request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                source = services.source_create(
                    company=user.company,
                    actor=user,
                    name=form.cleaned_data["name"],
                    kind=kind,
                    config=form.config(),
                    schedule_minutes=form.cleaned_data.get("schedule_minutes"),
                )
            except ServiceError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("数据源“%(n)s”已创建。") % {"n": source.name})
                if kind == SourceKind.PUSH:
                    return _secret_page(request, source, source.secret, created=True)
                return redirect("metrics:source_detail", pk=source.pk)
    return render(
        request,
        "metrics/source_form.html",
        {
            "form": form,
            "kind": SourceKind(kind),
            "kind_help": KIND_HELP[SourceKind(kind)],
            **tried,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    source = _source(user, pk)
    form = SourceForm(request.POST or None, kind=source.kind, source=source)
    status = 200
    tried: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("action") == "test":
        status, tried = _settings_try(form, source.kind, source)
    elif request.method == "POST":
        status = 422
        if form.is_valid():
            changes: dict[str, Any] = {"name": form.cleaned_data["name"]}
            if form.specs:
                changes["config"] = form.config()
                changes["schedule_minutes"] = form.cleaned_data.get("schedule_minutes")
            try:
                services.source_update(source=source, actor=user, **changes)
            except ServiceError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("设置已保存。"))
                return redirect("metrics:source_detail", pk=source.pk)
    return render(
        request,
        "metrics/source_form.html",
        {
            "form": form,
            "source": source,
            "kind": SourceKind(source.kind),
            "kind_help": KIND_HELP.get(SourceKind(source.kind), ""),
            **tried,
        },
        status=status,
    )


def _settings_try(
    form: SourceForm, kind: str, source: MetricSource | None
) -> tuple[int, dict[str, Any]]:
    """ "测试连接（不保存）" on the form: the entered settings are tried, nothing is saved;
    the form comes back as typed, with the report (or the field errors)."""
    if not form.is_valid():
        return 422, {}
    try:
        report = source_config_test(kind=kind, config=form.config(), source=source)
    except ServiceError as exc:
        form.add_service_errors(exc)
        return 422, {}
    lines = _report_lines(config_masked(kind, report.details))
    return 200, {"report": report, "lines": lines}


def _config_rows(source: MetricSource) -> list[tuple[Any, Any]]:
    shown = config_masked(source.kind, source.config)
    rows: list[tuple[Any, Any]] = []
    for key, value in shown.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = _("是") if value else _("否")
        rows.append((CONFIG_LABELS.get(key, key), value))
    return rows


def _push_info(request: HttpRequest, source: MetricSource) -> dict[str, Any]:
    path = reverse("api:source_events_push", kwargs={"source_id": source.pk})
    return {
        "url": request.build_absolute_uri(path),
        "timestamp_header": "X-Jixiao-Timestamp",
        "signature_header": "X-Jixiao-Signature",
        "max_items": push.MAX_ITEMS,
        "max_age_minutes": int(push.MAX_AGE.total_seconds() // 60),
        "example": json.dumps(
            {
                "items": [
                    {
                        "indicator": "order_amount",
                        "value": "12800.50",
                        "occurred_at": "2026-11-02T10:00:00+08:00",
                        "source_event_id": "SO-2026-0001",
                        "employee_number": "A004",
                        "evidence": {"customer": "汉堡贸易", "order_number": "SO-2026-0001"},
                    }
                ]
            },
            ensure_ascii=False,
            indent=2,
        ),
    }


def _detail_context(request: HttpRequest, user: Any, source: MetricSource) -> dict[str, Any]:
    health = services.sources_with_health(company_id=user.company_id).get(pk=source.pk)
    batches = (
        import_selectors.batches_for_viewer(user, importer_name=IMPORTER).filter(
            options__source=source.pk
        )[:10]
        if source.kind in IMPORTABLE_KINDS
        else []
    )
    return {
        "source": health,
        "can_admin": user.has_perm(ADMIN),
        "pulls": source.kind in connector_kinds(),
        "importable": source.kind in IMPORTABLE_KINDS,
        "config_rows": _config_rows(source),
        "next_sync": next_sync_at(source) if source.enabled else None,
        "push": _push_info(request, source) if source.kind == SourceKind.PUSH else None,
        "runs": health.recent_runs,  # type: ignore[attr-defined]
        "batches": batches,
    }


@login_required
@require_GET
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    source = _source(user, pk)
    return render(request, "metrics/source_detail.html", _detail_context(request, user, source))


@login_required
@require_POST
def source_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    """Enable (``enabled=1``) or disable (``enabled=0``) a source."""
    user = _admin(request)
    source = _source(user, pk)
    enabled = request.POST.get("enabled") == "1"
    services.source_update(source=source, actor=user, enabled=enabled)
    messages.success(request, _("数据源已启用。") if enabled else _("数据源已停用。"))
    return redirect("metrics:source_detail", pk=source.pk)


def _report_lines(details: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A connection report's details flattened to (key, text) lines for the screen."""
    lines: list[tuple[str, str]] = []
    if isinstance(details, dict):
        for key, value in details.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                lines.extend(_report_lines(value, f"{name}."))
            elif isinstance(value, list | tuple):
                lines.append((name, "；".join(str(v) for v in value)))
            else:
                lines.append((name, str(value)))
    return lines


@login_required
@require_POST
def source_test(request: HttpRequest, pk: int) -> HttpResponse:
    """测试连接 with the saved settings: ok, or what failed (htmx swaps the result in)."""
    user = _admin(request)
    source = _source(user, pk)
    if source.kind in connector_kinds():
        report = source_connection_test(source=source)
    else:
        report = ConnectionReport(False, _("该类型的数据源由对方推送或导入，无需连接测试。"))
    context = {
        "source": source,
        "report": report,
        "lines": _report_lines(config_masked(source.kind, report.details)),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "metrics/source_test_result.html", context)
    page = _detail_context(request, user, source)
    page.update({"report": report, "lines": context["lines"]})
    return render(request, "metrics/source_detail.html", page)


@login_required
@require_POST
def source_sync(request: HttpRequest, pk: int) -> HttpResponse:
    """立即同步: queue the connector's pull (inline when Huey runs immediately)."""
    user = _admin(request)
    source = _source(user, pk)
    if source.kind not in connector_kinds():
        messages.error(request, _("该类型的数据源由对方推送或导入，不能主动同步。"))
    elif not source.enabled:
        messages.error(request, _("数据源已停用。"))
    else:
        metric_source_sync(source.pk, user.pk)
        messages.success(request, _("已开始同步，结果见同步记录。"))
    return redirect("metrics:source_runs", pk=source.pk)


def _secret_page(
    request: HttpRequest, source: MetricSource, secret: str, *, created: bool
) -> HttpResponse:
    response = render(
        request,
        "metrics/source_secret.html",
        {
            "source": source,
            "secret": secret,
            "created": created,
            "push": _push_info(request, source),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def source_secret_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new push secret, shown on this response only; the old one stops working."""
    user = _admin(request)
    source = _source(user, pk)
    if source.kind != SourceKind.PUSH:
        raise Http404
    secret = services.source_secret_rotate(source=source, actor=user)
    return _secret_page(request, source, secret, created=False)


@login_required
@require_POST
def source_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    source = _source(user, pk)
    try:
        services.source_delete(source=source, actor=user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("metrics:source_detail", pk=source.pk)
    messages.success(request, _("数据源已删除。"))
    return redirect("metrics:source_list")


@login_required
@require_GET
def source_runs(request: HttpRequest, pk: int) -> HttpResponse:
    """Every sync, push batch and import of a source, with what went wrong."""
    user = _reader(request)
    source = _source(user, pk)
    page = Paginator(SourceRun.objects.filter(source=source), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "metrics/source_runs.html",
        {"source": source, "page": page, "can_admin": user.has_perm(ADMIN),
         "pulls": source.kind in connector_kinds()},
    )  # fmt: skip


# --- The import wizard -----------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（.xlsx / .xls / .csv）"))
    direct = forms.BooleanField(
        label=gettext_lazy("直接导入（不预览，适合几十万行以上的大文件）"), required=False
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("直接导入的方式"),
        choices=[
            (bulk_import.MODE_ALL_OR_NOTHING, gettext_lazy("全部成功才导入")),
            (bulk_import.MODE_VALID_ROWS_ONLY, gettext_lazy("只导入无错误的行")),
        ],
        initial=bulk_import.MODE_ALL_OR_NOTHING,
        widget=forms.RadioSelect,
        required=False,  # only a direct import uses it: all or nothing unless chosen
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1: upload a file into this source; its remembered mapping is shown. A file
    beyond the wizard's row limit, or one sent with "直接导入", is imported at once by
    the bulk path in the chosen mode, and its outcome shown here."""
    user = _admin(request)
    source = _source(user, pk)
    _importable(source)
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    result = None
    if request.method == "POST":
        status = 422
        if not source.enabled:
            form.add_error(None, _("数据源已停用，请先启用。"))
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            direct = form.cleaned_data["direct"]
            try:
                if not direct:
                    batch = import_services.batch_upload(
                        company=user.company,
                        actor=user,
                        importer_name=IMPORTER,
                        file_name=upload.name,
                        data=data,
                        options={"source": source.pk},
                    )
                    return redirect("metrics:source_import_map", pk=source.pk, batch_id=batch.pk)
            except ServiceError as exc:
                if exc.code != "too_many_rows":
                    form.add_error("file", exc.message)
                    direct = False
                else:
                    direct = True
            if direct:
                try:
                    result = bulk_import.metric_events_bulk_import(
                        company=user.company, file=data, actor=user,
                        mode=form.cleaned_data["mode"] or bulk_import.MODE_ALL_OR_NOTHING,
                        file_name=upload.name, source=source,
                    )  # fmt: skip
                except ServiceError as exc:
                    form.add_error("file", exc.message)
                else:
                    status = 200
    batches = import_selectors.batches_for_viewer(user, importer_name=IMPORTER).filter(
        options__source=source.pk
    )[:20]
    importer = _importer(user, source)
    labels = {spec.name: spec.label for spec in importer.fields()}
    remembered = [(h, labels.get(t, t)) for h, t in (source.column_mapping or {}).items()]
    return render(
        request,
        "metrics/source_import.html",
        {"source": source, "form": form, "batches": batches, "remembered": remembered,
         "fields": importer.fields(), "result": result,
         "issues": result.issues[:200] if result else []},
        status=status,
    )  # fmt: skip


def _importer(user: Any, source: MetricSource) -> Importer:
    return import_services.importer_for(
        IMPORTER, company=user.company, actor=user, options={"source": source.pk}
    )


def _batch(request: HttpRequest, pk: int, batch_pk: int) -> tuple[Any, MetricSource, ImportBatch]:
    """The source and one of its import batches (404 for any other batch)."""
    user = _admin(request)
    source = _source(user, pk)
    _importable(source)
    batch = import_selectors.batch_for_viewer(viewer=user, pk=batch_pk)
    if batch.importer != IMPORTER or batch.options.get("source") != source.pk:
        raise Http404
    return user, source, batch


@login_required
@require_http_methods(["GET", "POST"])
def source_import_map(request: HttpRequest, pk: int, batch_id: int) -> HttpResponse:
    """Step 2: map columns (the source's last mapping is offered), choose the mode, dry run."""
    user, source, found = _batch(request, pk, batch_id)
    if found.status in (ImportBatch.Status.COMMITTING, ImportBatch.Status.COMMITTED):
        return redirect("metrics:source_import_result", pk=source.pk, batch_id=found.pk)
    importer = import_services.importer_for(
        IMPORTER, company=user.company, actor=user, options=found.options
    )
    form = MappingForm(request.POST or None, batch=found, importer=importer)
    del form.fields["save_as"]  # the source remembers its mapping by itself
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                import_services.batch_preview(
                    batch=found,
                    actor=user,
                    mapping=form.mapping(),
                    mode=form.cleaned_data["mode"],
                )
            except ServiceError as exc:
                for message in exc.fields.get("mapping", []) or [exc.message]:
                    form.add_error(None, message)
            else:
                return redirect("metrics:source_import_preview", pk=source.pk, batch_id=found.pk)
    remembered = importer.mapping_remembered()
    applied = bool(remembered) and set(remembered) <= set(found.headers)
    return render(
        request,
        "metrics/source_import_map.html",
        {"source": source, "batch": found, "form": form, "remembered": applied,
         "samples": _samples(found, importer)},
        status=status,
    )  # fmt: skip


def _samples(batch: ImportBatch, importer: Importer) -> list[tuple[str, str]]:
    table = import_services.batch_table(batch, importer)
    if not table.rows:
        return []
    _number, cells = table.rows[0]
    return [(h, "" if c is None else str(c)) for h, c in zip(table.headers, cells, strict=False)]


@login_required
@require_http_methods(["GET", "POST"])
def source_import_preview(request: HttpRequest, pk: int, batch_id: int) -> HttpResponse:
    """Step 3: the dry run's counts, errors by row and column, rows to add; then commit."""
    user, source, found = _batch(request, pk, batch_id)
    if found.status == ImportBatch.Status.UPLOADED:
        return redirect("metrics:source_import_map", pk=source.pk, batch_id=found.pk)
    if request.method == "POST":
        if not source.enabled:
            messages.error(request, _("数据源已停用，请先启用。"))
            return redirect("metrics:source_import_preview", pk=source.pk, batch_id=found.pk)
        try:
            found = import_services.batch_commit(batch=found, actor=user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("metrics:source_import_result", pk=source.pk, batch_id=found.pk)
    issues = found.errors[:500]
    return render(
        request,
        "metrics/source_import_preview.html",
        {
            "source": source,
            "batch": found,
            "errors": [i for i in issues if i["level"] == "error"],
            "warnings": [i for i in issues if i["level"] == "warning"],
            "outcomes": found.preview.get("outcomes", []),
            "outcomes_total": found.preview.get("outcomes_total", 0),
            "issues_total": found.preview.get("issues_total", 0),
            "can_commit": found.status == ImportBatch.Status.PREVIEWED
            and (found.error_row_count == 0 or found.mode == ImportBatch.Mode.VALID_ROWS_ONLY),
        },
    )


@login_required
@require_GET
def source_import_result(request: HttpRequest, pk: int, batch_id: int) -> HttpResponse:
    """Step 4: the outcome, or a background commit's progress (polled by htmx)."""
    _user, source, found = _batch(request, pk, batch_id)
    context = {
        "source": source,
        "batch": found,
        "errors": [i for i in found.errors[:500] if i["level"] == "error"],
        "percent": int(100 * found.progress_done / found.progress_total)
        if found.progress_total
        else 0,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "metrics/source_import_progress.html", context)
    return render(request, "metrics/source_import_result.html", context)
