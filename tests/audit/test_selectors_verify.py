"""``audit_chain_verify`` finds every tampering: edited content, deleted rows (middle
and newest), a lost or rewritten head, and rows slipped in after the head."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, models
from django_scopes import scopes_disabled

from jixiao.audit.chain import BreakKind
from jixiao.audit.models import AuditChainHead, AuditEvent
from jixiao.audit.selectors import audit_chain_verify
from tests.audit.conftest import Recorder
from tests.conftest import World


def _raw(sql: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _edit(world: World, sequence: int, **values: object) -> None:
    """Change a stored row the way someone with database access would (bypassing the guard)."""
    with scopes_disabled():
        qs = AuditEvent.objects.filter(company=world.company, sequence=sequence)
        models.QuerySet.update(qs, **values)


def _delete_row(world: World, sequence: int) -> None:
    _raw(
        "DELETE FROM audit_auditevent WHERE company_id = %s AND sequence = %s",
        world.company.pk,
        sequence,
    )


def test_an_untouched_chain_is_ok(world: World, record: Recorder) -> None:
    record(world.company, 5, actor=world.hr)
    result = audit_chain_verify(world.company)
    assert result.ok
    assert result.checked == 5
    assert result.head_sequence == 5
    assert result.breaks == []


def test_a_company_without_events_is_ok(world: World) -> None:
    result = audit_chain_verify(world.company)
    assert result.ok and result.checked == 0


def test_reason_edited_by_raw_sql_is_detected(world: World, record: Recorder) -> None:
    record(world.company, 5)
    _raw(
        "UPDATE audit_auditevent SET reason = %s WHERE company_id = %s AND sequence = %s",
        "王姐自己要求的",
        world.company.pk,
        3,
    )
    result = audit_chain_verify(world.company)
    assert not result.ok
    assert [(b.sequence, b.kind) for b in result.breaks] == [(3, BreakKind.CONTENT)]


def test_changes_edited_by_queryset_update_is_detected(world: World, record: Recorder) -> None:
    record(world.company, 4)
    _edit(world, 2, changes={"base_salary": ["8001", "19001"]})
    result = audit_chain_verify(world.company)
    assert [(b.sequence, b.kind) for b in result.breaks] == [(2, BreakKind.CONTENT)]


def test_edit_with_recomputed_hash_breaks_the_next_link(world: World, record: Recorder) -> None:
    """Rewriting a row *and* its hash still shows: the next event points at the old hash."""
    from jixiao.audit.chain import link_hash
    from jixiao.audit.services import event_link

    record(world.company, 4)
    with scopes_disabled():
        event = AuditEvent.objects.get(company=world.company, sequence=2)
    event.reason = "改写"
    _edit(world, 2, reason="改写", hash=link_hash(event_link(event)))
    result = audit_chain_verify(world.company)
    assert [(b.sequence, b.kind) for b in result.breaks] == [(3, BreakKind.PREVIOUS_HASH)]


def test_deleted_row_in_the_middle_is_detected(world: World, record: Recorder) -> None:
    record(world.company, 6)
    _delete_row(world, 3)
    result = audit_chain_verify(world.company)
    assert result.broken_sequences == [4]
    assert {b.kind for b in result.breaks} == {BreakKind.GAP, BreakKind.PREVIOUS_HASH}
    assert "missing events 3..3" in [b.problem for b in result.breaks]


def test_deleted_newest_row_is_detected_through_the_head(world: World, record: Recorder) -> None:
    record(world.company, 6)
    _delete_row(world, 6)
    result = audit_chain_verify(world.company)
    assert not result.ok
    assert [(b.sequence, b.kind) for b in result.breaks] == [(6, BreakKind.GAP)]
    assert result.checked == 5


def test_deleted_head_row_is_detected(world: World, record: Recorder) -> None:
    record(world.company, 3)
    _raw("DELETE FROM audit_auditchainhead WHERE company_id = %s", world.company.pk)
    result = audit_chain_verify(world.company)
    assert [b.kind for b in result.breaks] == [BreakKind.HEAD]
    assert result.checked == 3


def test_head_hash_rewritten_is_detected(world: World, record: Recorder) -> None:
    record(world.company, 3)
    with scopes_disabled():
        AuditChainHead.objects.filter(company=world.company).update(last_hash="f" * 64)
    result = audit_chain_verify(world.company)
    assert [(b.sequence, b.kind) for b in result.breaks] == [(3, BreakKind.HEAD)]


def test_row_inserted_after_the_head_is_detected(world: World, record: Recorder) -> None:
    (last,) = record(world.company, 1)
    with scopes_disabled():
        forged = AuditEvent.objects.get(pk=last.pk)
    forged.pk = None
    forged._state.adding = True
    forged.sequence = 2
    forged.previous_hash = last.hash
    forged.save()
    result = audit_chain_verify(world.company)
    assert [(b.sequence, b.kind) for b in result.breaks] == [(2, BreakKind.HEAD)]


def test_other_companies_do_not_disturb_the_chain(world: World, record: Recorder) -> None:
    record(world.company, 3)
    record(world.other_company, 3)
    _delete_row(world, 2)
    assert audit_chain_verify(world.other_company).ok
    assert not audit_chain_verify(world.company).ok


def test_chunked_walk_crosses_chunk_boundaries(world: World, record: Recorder) -> None:
    record(world.company, 10)
    assert audit_chain_verify(world.company, chunk_size=3).ok
    _delete_row(world, 7)
    _edit(world, 3, reason="x")
    result = audit_chain_verify(world.company, chunk_size=3)
    assert result.broken_sequences == [3, 8]


def test_breaks_are_counted_but_the_list_is_capped(world: World, record: Recorder) -> None:
    record(world.company, 8)
    _raw("UPDATE audit_auditevent SET reason = 'x' WHERE company_id = %s", world.company.pk)
    result = audit_chain_verify(world.company, max_breaks=3)
    assert result.break_count == 8
    assert len(result.breaks) == 3
    assert result.truncated


def test_floats_and_ipv6_survive_the_database_round_trip(world: World) -> None:
    from jixiao.audit.services import audit_record

    audit_record(
        company=world.company,
        actor=world.hr,
        action="goals.target.update",
        object_type="goals.target",
        object_id="1",
        changes={"weight": [0.1, 1e20], "bad": [float("nan"), 2.5]},
        ip_address="2001:0db8:0000:0000:0000:0000:0000:0001",
    )
    assert audit_chain_verify(world.company).ok


# --- The management command -------------------------------------------------------------


def test_command_reports_ok_for_every_company(
    world: World, record: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    record(world.company, 2)
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "xinghai: OK (2 events" in out
    assert "other: OK (0 events" in out


def test_command_exits_1_and_lists_broken_sequences(
    world: World, record: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    record(world.company, 5)
    record(world.other_company, 2)
    _delete_row(world, 2)
    _edit(world, 4, reason="x")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "xinghai: BROKEN" in out
    assert "at sequences 3, 4" in out
    assert "#4: content was changed after it was written" in out
    assert "other: OK" in out


def test_command_checks_one_company(
    world: World, record: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    record(world.company, 3)
    _delete_row(world, 3)
    call_command("audit_verify", "--company", "other")
    assert "xinghai" not in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("audit_verify", "--company", "xinghai")


def test_command_refuses_an_unknown_company(world: World) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("audit_verify", "--company", "nope")
