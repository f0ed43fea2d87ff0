"""Backups: ``backup_create`` / ``backup_restore`` round trips on a real database file.

The commands run in their own processes against a scratch var/ directory, as an
operator would run ``./dev backup`` and ``./dev restore``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from jixiao.core.management.commands.backup_restore import sqlite_backup_check

ROOT = Path(settings.BASE_DIR)


def manage(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def company_names(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT slug, name FROM core_company").fetchall())


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "JIXIAO_TESTING"}}
    env["JIXIAO_VAR_DIR"] = str(tmp_path / "var")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "demo_load")
    return env


def test_sqlite_round_trip_restores_the_data_and_keeps_what_it_replaced(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "var" / "jixiao.sqlite3"
    created = manage(sqlite_env, "backup_create")
    backups = sorted((tmp_path / "var" / "backups").glob("jixiao-*.sqlite3"))
    assert len(backups) == 1 and str(backups[0]) in created.stdout
    backup = backups[0]
    assert company_names(backup)["haixing"] == "海星外贸"

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE core_company SET name = '被误改的名字' WHERE slug = 'haixing'")
    refused = manage(sqlite_env, "backup_restore", str(backup), ok=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert company_names(db)["haixing"] == "被误改的名字"

    restored = manage(sqlite_env, "backup_restore", str(backup), "--yes")
    assert "Restored" in restored.stdout
    assert company_names(db)["haixing"] == "海星外贸"
    safety = sorted((tmp_path / "var" / "backups").glob("*before-restore*.sqlite3"))
    assert len(safety) == 1 and company_names(safety[0])["haixing"] == "被误改的名字"
    # The restored database still passes the audit chain check of every company.
    verify = manage(sqlite_env, "shell", "-c", VERIFY_SNIPPET)
    assert verify.stdout.strip().splitlines()[-1] == "chains ok: 4"


VERIFY_SNIPPET = """
from django_scopes import scopes_disabled
from jixiao.audit.chain import chain_breaks
from jixiao.audit.models import AuditEvent
from jixiao.audit.services import event_link
from jixiao.core.models import Company
with scopes_disabled():
    companies = list(Company.objects.all())
    bad = [c.slug for c in companies if chain_breaks(
        [(event_link(e), e.hash) for e in AuditEvent.objects.filter(company=c).order_by("sequence")]
    )]
print("chains broken:", bad) if bad else print("chains ok:", len(companies))
"""


def test_sqlite_backup_is_consistent_while_a_writer_holds_a_transaction(
    sqlite_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "var" / "jixiao.sqlite3"
    writer = sqlite3.connect(db, isolation_level=None, timeout=20)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE core_company SET name = '未提交' WHERE slug = 'lanhe'")
        manage(sqlite_env, "backup_create")
        writer.execute("COMMIT")
    finally:
        writer.close()
    backup = next((tmp_path / "var" / "backups").glob("jixiao-*.sqlite3"))
    sqlite_backup_check(backup)
    assert company_names(backup)["lanhe"] == "蓝河环保设备"
    assert company_names(db)["lanhe"] == "未提交"


def test_restore_refuses_files_that_are_not_jixiao_sqlite_backups(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite3"
    text.write_text("这不是数据库")
    with pytest.raises(CommandError, match="not a SQLite database"):
        sqlite_backup_check(text)

    foreign = tmp_path / "other.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE django_migrations (id INTEGER)")
    with pytest.raises(CommandError, match="missing tables: audit_auditevent"):
        sqlite_backup_check(foreign)

    truncated = tmp_path / "truncated.sqlite3"
    source = tmp_path / "full.sqlite3"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    truncated.write_bytes(source.read_bytes()[:8192])
    with pytest.raises(CommandError):
        sqlite_backup_check(truncated)


@pytest.mark.django_db
def test_restore_command_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup_restore", str(tmp_path / "missing.sqlite3"), "--yes")


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


@pytest.fixture
def postgres_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    url = _postgres_url()
    if not url or not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("needs DATABASE_URL on PostgreSQL and pg_dump / pg_restore on PATH")
    import psycopg

    name = f"jixiao_backup_{uuid.uuid4().hex[:10]}"
    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if k != "JIXIAO_TESTING"}
    env["DATABASE_URL"] = f"{base}/{name}"
    env["JIXIAO_VAR_DIR"] = str(tmp_path / "var")
    try:
        yield env
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgres_round_trip(postgres_env: dict[str, str], tmp_path: Path) -> None:
    import psycopg

    manage(postgres_env, "migrate", "--noinput", "-v0")
    manage(postgres_env, "demo_load")
    manage(postgres_env, "backup_create")
    backup = next((tmp_path / "var" / "backups").glob("jixiao-*.dump"))
    with psycopg.connect(postgres_env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE core_company SET name = '被误改的名字' WHERE slug = 'yunfan'")
    manage(postgres_env, "backup_restore", str(backup), "--yes")
    with psycopg.connect(postgres_env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT name FROM core_company WHERE slug = 'yunfan'").fetchone()
    assert row == ("云帆科技",)
    verify = manage(postgres_env, "shell", "-c", VERIFY_SNIPPET)
    assert verify.stdout.strip().splitlines()[-1] == "chains ok: 4"
