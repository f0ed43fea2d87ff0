"""Every company-owned model is scoped: querying it outside a company scope fails loudly.

This guards the tenant wall for models that do not exist yet: a new model with a
``company`` field must use ``ScopedManager(company="company")`` as its default
manager, and a new model without one must be added below with a reason.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django_scopes import scope
from django_scopes.exceptions import ScopeError

from jixiao.core.models import Company
from tests.conftest import World

pytestmark = pytest.mark.django_db

#: Models with a ``company`` field that are deliberately not scoped.
UNSCOPED_COMPANY_MODELS = {
    # Logins are looked up before anyone's company is known (login, password
    # reset, token middleware); every selector filters users by company.
    "core.User",
}

#: Models with no ``company`` field: not owned by one company.
NOT_COMPANY_OWNED = {
    # The tenant itself.
    "core.Company",
}


def _jixiao_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("jixiao.") and not model._meta.abstract
    ]


def _company_field(model: type[models.Model]) -> models.ForeignKey[Company, Company] | None:
    try:
        field = model._meta.get_field("company")
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.ForeignKey) else None  # type: ignore[return-value]


def _label(model: type[models.Model]) -> str:
    return model._meta.label


SCOPED = [
    m for m in _jixiao_models() if _company_field(m) and _label(m) not in UNSCOPED_COMPANY_MODELS
]


def test_the_model_census_finds_the_apps_models() -> None:
    labels = {_label(m) for m in _jixiao_models()}
    assert {"core.User", "core.ApiToken", "org.Employee", "audit.AuditEvent"} <= labels


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_company_owned_model_refuses_unscoped_queries(model: type[models.Model]) -> None:
    with pytest.raises(ScopeError):
        list(model._default_manager.all()[:1])


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_company_owned_model_is_scoped_by_its_company_field(
    world: World, model: type[models.Model]
) -> None:
    field = _company_field(model)
    assert field is not None and field.related_model is Company, (
        f"{_label(model)}.company must point to core.Company"
    )
    with scope(company=world.company):
        query = str(model._default_manager.all().query)
    assert "company_id" in query, f"{_label(model)} is not filtered by company in scope"


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_company_owned_model_uses_objects_as_its_scoped_default(model: type[models.Model]) -> None:
    assert model._default_manager is model.objects, (  # type: ignore[attr-defined]
        f"{_label(model)}: the scoped `objects` must be the default manager"
    )


def test_every_model_is_company_owned_or_explained() -> None:
    unexplained = [
        _label(m)
        for m in _jixiao_models()
        if _company_field(m) is None and _label(m) not in NOT_COMPANY_OWNED
    ]
    assert not unexplained, (
        f"{unexplained} have no `company` field: add one with "
        "ScopedManager(company='company'), or list the model in NOT_COMPANY_OWNED with a reason"
    )


def test_allow_lists_name_real_models() -> None:
    labels = {_label(m) for m in _jixiao_models()}
    assert labels >= (UNSCOPED_COMPANY_MODELS | NOT_COMPANY_OWNED)


def test_the_user_model_is_unscoped_on_purpose(world: World) -> None:
    from jixiao.core.models import User

    # No scope is active here: login can find 刘HR before knowing her company.
    assert User.objects.filter(username=world.hr.username).exists()
