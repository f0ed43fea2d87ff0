"""Org pages: the employee list and profile, HR's forms, the department tree, settings.

Thin: parse with a form, read with a selector, write with a service; a
``ServiceError`` becomes field errors on the form it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.core.api_errors import ServiceError
from jixiao.org import forms, selectors, services
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmploymentChange,
    Position,
    Tag,
    WorkLocation,
)


def _member(request: HttpRequest) -> Any:
    user = request.user
    if not user.has_perm("org.view_department"):
        raise PermissionDenied
    return user


def _own(request: HttpRequest, model: type[Model], pk: int) -> Any:
    """A row of the viewer's company, else 404."""
    viewer = _member(request)
    obj = model._default_manager.filter(company_id=viewer.company_id, pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _require(request: HttpRequest, perm: str, obj: Any = None) -> Any:
    user = _member(request)
    if not user.has_perm(perm, obj):
        raise PermissionDenied
    return user


# --- Employees -----------------------------------------------------------------------


MAIN_FILTERS = ("q", "department", "include_subdepartments", "status", "sort")
"""Filters always shown (``sort`` is a hidden input)."""

MORE_FILTERS = (
    "job_family",
    "employment_type",
    "working_hour_system",
    "tag",
    "custom_field",
    "custom_value",
    "hired_from",
    "hired_to",
)
"""Filters folded under “更多筛选” so the list stays short on a phone."""


def _sort_headers(request: HttpRequest, sort: str) -> list[dict[str, Any]]:
    """Table headers; a sortable one links to the list sorted by it (again: reversed)."""
    columns: list[tuple[str | None, str, str]] = [
        ("number", _("工号"), ""),
        ("name", _("姓名"), ""),
        ("department", _("部门"), ""),
        (None, _("岗位"), "hide-narrow"),
        (None, _("直属上级"), "hide-narrow"),
        ("hire_date", _("入职日期"), ""),
        (None, _("状态"), ""),
        (None, _("工时制度"), "hide-narrow"),
        (None, _("标签"), "hide-narrow"),
    ]
    headers = []
    for key, label, css in columns:
        header: dict[str, Any] = {"key": key, "label": label, "css": css, "url": "", "arrow": ""}
        if key is not None:
            query = request.GET.copy()
            query["sort"] = f"-{key}" if sort == key else key
            query.pop("page", None)
            header["url"] = "?" + query.urlencode()
            header["arrow"] = "▲" if sort == key else ("▼" if sort == f"-{key}" else "")
        headers.append(header)
    return headers


def _choice_labels(name: str) -> dict[Any, str]:
    """An employee field's choice labels in the active language, translated once:
    ``get_<field>_display`` translates every label of the field on each call."""
    field = Employee._meta.get_field(name)
    return {value: str(label) for value, label in field.flatchoices}  # type: ignore[union-attr]


def _list_rows(page: selectors.EmployeePage) -> list[dict[str, Any]]:
    """Plain rows for the table: cheap for the template engine, salary only where allowed."""
    detail = reverse("org:employee_detail", args=[0]).removesuffix("0/")
    statuses = _choice_labels("status")
    hours = _choice_labels("working_hour_system")
    return [
        {
            "url": f"{detail}{e.pk}/",
            "number": e.employee_number,
            "name": e.name,
            "english_name": e.english_name,
            "department": e.department.name,
            "position": e.position.name if e.position else "—",
            "manager": e.manager.name if e.manager else "—",
            "hire_date": e.hire_date.isoformat(),
            "status": e.status,
            "status_label": statuses.get(e.status, e.status),
            "hours": hours.get(e.working_hour_system, e.working_hour_system),
            "tags": [t.name for t in e.tag_list],  # type: ignore[attr-defined]
            "salary": e.base_salary if e.pk in page.salary_visible else None,
        }
        for e in page.items
    ]


@login_required
def employee_list(request: HttpRequest) -> HttpResponse:
    """The list page; for htmx requests only the table partial (filters, sort, paging)."""
    viewer = _member(request)
    form = forms.EmployeeFilterForm(request.GET or None, viewer=viewer)
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    sort = form.sort_value()
    page = selectors.employee_page(
        viewer=viewer, filters=form.filters(), sort=sort, page=page_number
    )
    context = {
        "form": form,
        "page": page,
        "rows": _list_rows(page),
        "sort": sort,
        "sort_headers": _sort_headers(request, sort),
        "show_salary": bool(page.salary_visible),
        "more_filters_open": any(request.GET.get(name) for name in MORE_FILTERS),
        "can_add": viewer.has_perm("org.add_employee"),
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    if not partial:
        # Plain values, not widgets: the filter form is drawn without widget templates.
        context["main_filters"] = forms.plain_controls(form, MAIN_FILTERS)
        context["more_filters"] = forms.plain_controls(form, MORE_FILTERS)
    template = "org/_employee_table.html" if partial else "org/employee_list.html"
    response = render(request, template, context)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _member(request)
    employee = selectors.employee_for_viewer(viewer=viewer, pk=pk)
    definitions = list(CustomField.objects.filter(company_id=viewer.company_id))
    custom_values = [(d.label, employee.custom_fields.get(d.code)) for d in definitions] + [
        (code, value)
        for code, value in employee.custom_fields.items()
        if code not in {d.code for d in definitions}
    ]
    history = selectors.employee_history(viewer=viewer, employee=employee)
    return render(
        request,
        "org/employee_detail.html",
        {
            "employee": employee,
            "chain": selectors.manager_chain(employee),
            "custom_values": custom_values,
            "history": history,
            "tags": list(employee.tags.all()),
            "can_salary": selectors.can_view_salary(viewer, employee),
            "can_change": viewer.has_perm("org.change_employee", employee),
        },
    )


_EMPLOYEE_FORM_NAMES = {"manager": "manager_number", "user": "__all__"}


@login_required
@require_http_methods(["GET", "POST"])
def employee_create(request: HttpRequest) -> HttpResponse:
    actor = _require(request, "org.add_employee")
    form = forms.EmployeeForm(request.POST or None, viewer=actor)
    if request.method == "POST" and form.is_valid():
        try:
            values = form.service_values(actor.company)
            employee = services.employee_create(
                company=actor.company, actor=actor, reason=form.cleaned_data["reason"], **values
            )
        except ServiceError as exc:
            forms.apply_service_error(form, exc, _EMPLOYEE_FORM_NAMES)
        else:
            messages.success(request, _("已创建员工 %(name)s。") % {"name": employee.name})
            return redirect("org:employee_detail", pk=employee.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "org/employee_form.html", {"form": form, "employee": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def employee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _own(request, Employee, pk)
    actor = _require(request, "org.change_employee", employee)
    form = forms.EmployeeForm(request.POST or None, viewer=actor, employee=employee)
    if request.method == "POST" and form.is_valid():
        try:
            values = form.service_values(actor.company)
            services.employee_update(
                employee=employee, actor=actor, reason=form.cleaned_data["reason"], **values
            )
        except ServiceError as exc:
            forms.apply_service_error(form, exc, _EMPLOYEE_FORM_NAMES)
        else:
            messages.success(request, _("已保存。"))
            return redirect("org:employee_detail", pk=employee.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "org/employee_form.html", {"form": form, "employee": employee}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def employee_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply (or schedule) an effective-dated change of department, manager, salary …"""
    employee = _own(request, Employee, pk)
    actor = _require(request, "org.change_employee", employee)
    form = forms.EmploymentChangeForm(
        request.POST or None, viewer=actor, initial={"field": request.GET.get("field", "")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.employee_change_apply(
                employee=employee,
                field=data["field"],
                value=data.get("value"),
                effective_date=data["effective_date"],
                reason=data["reason"],
                actor=actor,
            )
        except ServiceError as exc:
            forms.apply_service_error(form, exc, {"value": form.value_field()})
        else:
            if change.applied:
                messages.success(request, _("变更已生效。"))
            else:
                messages.success(
                    request,
                    _("变更已登记，将于 %(date)s 生效。") % {"date": change.effective_date},
                )
            return redirect("org:employee_detail", pk=employee.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "org/employee_change_form.html",
        {"form": form, "employee": employee},
        status=status,
    )


@login_required
@require_POST
def employee_change_cancel(request: HttpRequest, pk: int, change_id: int) -> HttpResponse:
    employee = _own(request, Employee, pk)
    actor = _require(request, "org.change_employee", employee)
    change = EmploymentChange.objects.filter(employee=employee, pk=change_id).first()
    if change is None:
        raise Http404
    try:
        services.employment_change_cancel(change=change, actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销待生效的变更。"))
    return redirect("org:employee_detail", pk=employee.pk)


# --- Departments ---------------------------------------------------------------------------


def _department_tree_page(
    request: HttpRequest, viewer: Any, form: forms.DepartmentForm | None, status: int = 200
) -> HttpResponse:
    can_manage = viewer.has_perm("org.manage_org")
    if can_manage and form is None:
        form = forms.DepartmentForm(viewer=viewer)
    return render(
        request,
        "org/department_tree.html",
        {
            "nodes": selectors.department_flat(selectors.department_tree(viewer)),
            "can_manage": can_manage,
            "form": form if can_manage else None,
        },
        status=status,
    )


@login_required
def department_tree(request: HttpRequest) -> HttpResponse:
    """The nested tree with heads and headcounts; HR adds departments here."""
    return _department_tree_page(request, _member(request), None)


def _head_from_number(actor: Any, number: str) -> Employee | None:
    if not number.strip():
        return None
    head = selectors.employee_by_number(viewer=actor, number=number)
    if head is None:
        raise ServiceError(
            _("没有工号为“%(n)s”的员工。") % {"n": number},
            fields={"head_number": [_("没有工号为“%(n)s”的员工。") % {"n": number}]},
        )
    return head


_DEPARTMENT_FORM_NAMES = {"head": "head_number"}


@login_required
@require_POST
def department_create(request: HttpRequest) -> HttpResponse:
    actor = _require(request, "org.manage_org")
    form = forms.DepartmentForm(request.POST, viewer=actor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            parent = _own(request, Department, data["parent"]) if data["parent"] else None
            department = services.department_create(
                company=actor.company,
                actor=actor,
                name=data["name"],
                code=data["code"],
                parent=parent,
                head=_head_from_number(actor, data["head_number"]),
                sort_order=data["sort_order"] or 0,
                reason=data["reason"],
            )
        except ServiceError as exc:
            forms.apply_service_error(form, exc, _DEPARTMENT_FORM_NAMES)
        else:
            messages.success(request, _("已添加部门 %(name)s。") % {"name": department.name})
            return redirect("org:department_tree")
    return _department_tree_page(request, actor, form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename, re-code, move under another parent or change the head, in one step."""
    department = _own(request, Department, pk)
    actor = _require(request, "org.manage_org")
    initial = {
        "name": department.name,
        "code": department.code,
        "parent": department.parent_id,
        "head_number": department.head.employee_number if department.head_id else "",
        "sort_order": department.sort_order,
    }
    form = forms.DepartmentForm(request.POST or None, viewer=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                reason = data["reason"]
                parent = _own(request, Department, data["parent"]) if data["parent"] else None
                if parent != department.parent:
                    services.department_move(
                        department=department, new_parent=parent, actor=actor, reason=reason
                    )
                services.department_update(
                    department=department,
                    actor=actor,
                    name=data["name"],
                    code=data["code"],
                    sort_order=data["sort_order"] or 0,
                    reason=reason,
                )
                head = _head_from_number(actor, data["head_number"])
                if head != department.head:
                    services.department_head_set(
                        department=department, head=head, actor=actor, reason=reason
                    )
        except ServiceError as exc:
            department.refresh_from_db()
            forms.apply_service_error(form, exc, _DEPARTMENT_FORM_NAMES)
        else:
            messages.success(request, _("已保存部门 %(name)s。") % {"name": department.name})
            return redirect("org:department_tree")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "org/department_form.html",
        {"form": form, "department": department},
        status=status,
    )


@login_required
@require_POST
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    department = _own(request, Department, pk)
    actor = _require(request, "org.manage_org")
    try:
        services.department_delete(department=department, actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("org:department_edit", pk=department.pk)
    messages.success(request, _("已删除部门 %(name)s。") % {"name": department.name})
    return redirect("org:department_tree")


# --- Settings: positions, work locations, tags, custom fields ---------------------------


@dataclass(frozen=True)
class SettingsResource:
    """One settings list: its form, columns and the services that write it."""

    key: str
    title: str | Promise
    model: type[Model]
    form: type[django_forms.Form]
    permission: str
    columns: tuple[tuple[str, str | Promise], ...]
    create: Callable[..., Model]
    update: Callable[..., Model]
    delete: Callable[..., None]
    object_kw: str
    initial: Callable[[Any], dict[str, Any]]

    @property
    def url_name(self) -> str:
        return f"org:{self.key}_list"


def _fields_of(names: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    return lambda obj: {name: getattr(obj, name) for name in names}


RESOURCES: dict[str, SettingsResource] = {
    r.key: r
    for r in (
        SettingsResource(
            key="position",
            title=gettext_lazy("岗位"),
            model=Position,
            form=forms.PositionForm,
            permission="org.manage_org",
            columns=(
                ("name", gettext_lazy("岗位名称")),
                ("get_job_family_display", gettext_lazy("岗位序列")),
                ("description", gettext_lazy("岗位说明")),
            ),
            create=services.position_create,
            update=services.position_update,
            delete=services.position_delete,
            object_kw="position",
            initial=_fields_of(("name", "job_family", "description")),
        ),
        SettingsResource(
            key="work_location",
            title=gettext_lazy("工作地点"),
            model=WorkLocation,
            form=forms.WorkLocationForm,
            permission="org.manage_org",
            columns=(
                ("name", gettext_lazy("地点名称")),
                ("country", gettext_lazy("国家/地区")),
                ("city", gettext_lazy("城市")),
                ("time_zone", gettext_lazy("时区")),
                ("geofence_radius_m", gettext_lazy("打卡范围（米）")),
            ),
            create=services.work_location_create,
            update=services.work_location_update,
            delete=services.work_location_delete,
            object_kw="location",
            initial=_fields_of(services.WORK_LOCATION_AUDIT_FIELDS),
        ),
        SettingsResource(
            key="tag",
            title=gettext_lazy("标签"),
            model=Tag,
            form=forms.TagForm,
            permission="org.manage_org",
            columns=(("name", gettext_lazy("标签")),),
            create=services.tag_create,
            update=services.tag_update,
            delete=services.tag_delete,
            object_kw="tag",
            initial=_fields_of(("name",)),
        ),
        SettingsResource(
            key="custom_field",
            title=gettext_lazy("自定义字段"),
            model=CustomField,
            form=forms.CustomFieldForm,
            permission="org.manage_custom_fields",
            columns=(
                ("code", gettext_lazy("字段编码")),
                ("label", gettext_lazy("字段名称")),
                ("get_field_type_display", gettext_lazy("类型")),
                ("choices_text", gettext_lazy("可选值")),
                ("required", gettext_lazy("必填")),
            ),
            create=services.custom_field_create,
            update=services.custom_field_update,
            delete=services.custom_field_delete,
            object_kw="field",
            initial=lambda f: {
                "code": f.code,
                "label": f.label,
                "field_type": f.field_type,
                "choices": "\n".join(f.choices),
                "required": f.required,
                "sort_order": f.sort_order,
            },
        ),
    )
}


def _rows(resource: SettingsResource, objects: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for obj in objects:
        cells = []
        for attr, _label in resource.columns:
            if attr == "choices_text":
                value: Any = "、".join(obj.choices)
            else:
                value = getattr(obj, attr)
                value = value() if callable(value) else value
            if value is True:
                value = _("是")
            elif value is False:
                value = _("否")
            cells.append(value)
        rows.append({"obj": obj, "cells": cells})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def settings_list(request: HttpRequest, resource_key: str) -> HttpResponse:
    """List, create and edit one kind of setting; ``?edit=<id>`` loads a row into the form."""
    resource = RESOURCES[resource_key]
    actor = _require(request, resource.permission)
    editing = None
    edit_id = request.POST.get("id") or request.GET.get("edit")
    if edit_id:
        try:
            editing = _own(request, resource.model, int(edit_id))
        except ValueError as exc:
            raise Http404 from exc
    if request.method == "POST":
        form = resource.form(request.POST)
    else:
        form = resource.form(initial=resource.initial(editing) if editing else None)
    if request.method == "POST" and form.is_valid():
        try:
            if editing is None:
                resource.create(company=actor.company, actor=actor, **form.cleaned_data)
            else:
                resource.update(**{resource.object_kw: editing}, actor=actor, **form.cleaned_data)
        except ServiceError as exc:
            forms.apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(resource.url_name)
    objects = list(resource.model._default_manager.filter(company_id=actor.company_id))
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "org/settings_list.html",
        {
            "resource": resource,
            "rows": _rows(resource, objects),
            "form": form,
            "editing": editing,
            "list_url": reverse(resource.url_name),
            "delete_url_name": f"org:{resource.key}_delete",
            "settings_links": [(r.title, reverse(r.url_name)) for r in RESOURCES.values()],
        },
        status=status,
    )


@login_required
@require_POST
def settings_delete(request: HttpRequest, resource_key: str, pk: int) -> HttpResponse:
    resource = RESOURCES[resource_key]
    obj = _own(request, resource.model, pk)
    actor = _require(request, resource.permission)
    try:
        resource.delete(**{resource.object_kw: obj}, actor=actor)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除 %(name)s。") % {"name": obj})
    return redirect(resource.url_name)
