from django.contrib.auth import views as auth_views
from django.urls import path

from jixiao.web import account_views, platform_views, token_views, user_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", account_views.signup, name="signup"),
    path("language/", account_views.language_set, name="language_set"),
    path("account/", account_views.profile, name="profile"),
    path("account/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "account/password/reset/sent/",
        account_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/password/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password/reset/done/",
        account_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/tokens/", token_views.token_list, name="api_tokens"),
    path(
        "account/tokens/<int:token_id>/revoke/", token_views.token_revoke, name="api_token_revoke"
    ),
    path("users/", user_views.user_list, name="users"),
    path("users/invite/", user_views.user_invite, name="user_invite"),
    path("users/<int:user_id>/", user_views.user_detail, name="user_detail"),
    path(
        "users/<int:user_id>/resend-invitation/",
        user_views.user_invitation_resend,
        name="user_invitation_resend",
    ),
    path("platform/companies/", platform_views.company_list, name="platform_companies"),
    path(
        "platform/companies/<int:company_id>/",
        platform_views.company_detail,
        name="platform_company",
    ),
]
