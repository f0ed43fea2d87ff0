"""Password login by username or by email address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from jixiao.core.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Django's model backend, also accepting the account's email in the username field.

    django-axes' standalone backend runs before this one and sees the same
    ``request`` and ``username``, so lockouts count whichever form was typed.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        login = username.strip()
        user = User.objects.filter(username=login).select_related("company").first()
        if user is None and "@" in login:
            user = User.objects.filter(email__iexact=login).select_related("company").first()
        if user is None:
            # Spend the time of one hash so a missing account is not told apart by timing.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        """The session's user with what every request reads next (company, own employee
        record and its work location for the time zone) in one query instead of four."""
        user = (
            User._default_manager.select_related("company", "employee__work_location")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
