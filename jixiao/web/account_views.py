"""Accounts: sign in and out, sign-up, profile, password change and reset."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from jixiao.core import services
from jixiao.core.api_errors import ServiceError
from jixiao.core.forms import LoginForm, ProfileForm, SignupForm
from jixiao.core.models import User

LOGIN_BACKEND = "jixiao.core.auth_backends.UsernameOrEmailBackend"


def language_cookie_set(response: HttpResponse, language: str) -> None:
    """Remember the language in the cookie Django's LocaleMiddleware reads."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def user_language(user: User) -> str:
    if user.language:
        return user.language
    if user.company is not None and user.company.language:
        return user.company.language
    return settings.LANGUAGE_CODE


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["allow_signup"] = settings.JIXIAO_ALLOW_SIGNUP
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        language = form.get_user().language
        if language:  # a user who never chose keeps the language the browser shows
            translation.activate(language)
            language_cookie_set(response, language)
        return response


def signup(request: HttpRequest) -> HttpResponse:
    """A new company signs itself up: the company, its first HR admin, its root department."""
    if not settings.JIXIAO_ALLOW_SIGNUP:
        raise Http404
    if request.user.is_authenticated:
        return redirect("web:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.company_signup(
                company_name=data["company_name"],
                admin_name=data["admin_name"],
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
                time_zone=data["time_zone"],
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            messages.success(
                request, _("欢迎！公司 %(company)s 已创建。") % {"company": user.company}
            )
            return redirect("web:home")
    return render(request, "web/signup.html", {"form": form})


def add_service_errors(form: Any, error: ServiceError) -> None:
    """Show a service's refusal on the form: field errors where they belong, else on top."""
    placed = False
    for field, field_errors in error.fields.items():
        for message in field_errors:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed:
        form.add_error(None, error.message)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    initial = {
        "display_name": user.display_name,
        "language": user_language(user),
        "time_zone": user.time_zone,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(
                user=user,
                display_name=form.cleaned_data["display_name"],
                language=form.cleaned_data["language"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            translation.activate(user.language)
            messages.success(request, _("个人设置已保存。"))
            response = HttpResponseRedirect(request.path)
            language_cookie_set(response, user.language)
            return response
    return render(
        request,
        "web/profile.html",
        {"form": form, "effective_time_zone": user.effective_time_zone},
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The top bar's language switch: Django's cookie, plus the profile of a signed-in user."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in services.LANGUAGE_CODES:
        services.user_language_set(user=request.user, language=language)  # type: ignore[arg-type]
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("密码已修改。"))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/password_reset.html"
    email_template_name = "web/email/password_reset.txt"
    subject_template_name = "web/email/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"
