"""Platform administration: every company, its headcount, suspension and reactivation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jixiao.core import selectors, services
from jixiao.core.api_errors import ServiceError
from jixiao.core.forms import ReasonForm
from jixiao.core.models import User
from jixiao.web.account_views import add_service_errors
from jixiao.web.decorators import permission_required


@permission_required("core.manage_companies")
def company_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/platform/companies.html",
        {"rows": selectors.companies_overview(), "summary": selectors.platform_summary()},
    )


@permission_required("core.manage_companies")
def company_detail(request: HttpRequest, company_id: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    company = selectors.company_get(company_id=company_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if company.is_active:
                services.company_suspend(company=company, actor=actor, reason=reason)
                messages.success(request, _("公司 %(name)s 已停用。") % {"name": company.name})
            else:
                services.company_reactivate(company=company, actor=actor, reason=reason)
                messages.success(request, _("公司 %(name)s 已恢复。") % {"name": company.name})
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            return redirect("web:platform_company", company_id=company.pk)
    row = next(r for r in selectors.companies_overview() if r.company.pk == company.pk)
    return render(
        request,
        "web/platform/company.html",
        {"company": company, "row": row, "form": form},
        status=422 if request.method == "POST" else 200,
    )
