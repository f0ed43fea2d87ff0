"""Audit events are append-only in Python: no update, no delete, but bulk inserts work."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from jixiao.audit.models import AppendOnlyError, AuditEvent
from jixiao.audit.services import AuditEntry, audit_record_many
from tests.audit.conftest import Recorder
from tests.conftest import World


def test_saving_a_stored_event_again_is_refused(world: World, record: Recorder) -> None:
    (event,) = record(world.company)
    event.reason = "改过的原因"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["reason"])
    with scopes_disabled():
        assert AuditEvent.objects.get(pk=event.pk).reason == "年度调薪"


def test_deleting_an_event_is_refused(world: World, record: Recorder) -> None:
    (event,) = record(world.company)
    with pytest.raises(AppendOnlyError):
        event.delete()
    with scopes_disabled(), pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with scopes_disabled():
        assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(world: World, record: Recorder) -> None:
    record(world.company, 2)
    with scopes_disabled(), pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(company=world.company).update(reason="x")
    with scopes_disabled(), pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(reason="x")


def test_bulk_create_still_works_for_imports(world: World) -> None:
    entries = [
        AuditEntry(
            "org.employee.create", "org.employee", str(i), f"员工{i}", {"name": [None, f"员工{i}"]}
        )
        for i in range(1500)
    ]
    assert audit_record_many(company=world.company, actor=world.hr, entries=entries) == 1500
    with scopes_disabled():
        assert AuditEvent.objects.filter(company=world.company).count() == 1500
