"""``manage.py backup_restore FILE --yes``: put a backup written by ``backup_create`` back.

The file is checked first (a SQLite database holding Jixiao's tables, or a
custom-format dump pg_restore can read), and the current database is saved
beside the backups before it is replaced.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from jixiao.core.management.commands.backup_create import (
    backup_create,
    backup_path,
    database_vendor,
    postgres_env,
    postgres_tool,
    sqlite_copy,
    sqlite_path,
)

REQUIRED_TABLES = frozenset(
    {"django_migrations", "core_company", "core_user", "org_employee", "audit_auditevent"}
)
"""Tables a Jixiao database always has; a file without them is not one of our backups."""

SQLITE_MAGIC = b"SQLite format 3\x00"


def sqlite_backup_check(path: Path) -> None:
    """Raise ``CommandError`` unless the file is an intact SQLite database of Jixiao."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise CommandError(f"{path} is not a SQLite database.")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"{path} cannot be read as a SQLite database: {exc}") from exc
    if integrity != "ok":
        raise CommandError(f"{path} fails SQLite's integrity check: {integrity}")
    missing = sorted(REQUIRED_TABLES - tables)
    if missing:
        raise CommandError(f"{path} is not a Jixiao backup (missing tables: {', '.join(missing)}).")


def postgres_backup_check(path: Path) -> None:
    _args, env = postgres_env()
    result = subprocess.run(  # noqa: S603 -- fixed argv, no shell
        [postgres_tool("pg_restore"), "--list", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CommandError(f"{path} is not a dump pg_restore can read: {result.stderr.strip()}")
    listed = result.stdout
    missing = sorted(t for t in REQUIRED_TABLES if f" TABLE public {t} " not in listed)
    if missing:
        raise CommandError(f"{path} is not a Jixiao backup (missing tables: {', '.join(missing)}).")


def backup_restore(path: Path) -> Path:
    """Restore ``path`` over the current database; returns the safety copy of what was there."""
    vendor = database_vendor()
    if vendor == "sqlite":
        sqlite_backup_check(path)
    else:
        postgres_backup_check(path)
    safety = backup_create(backup_path("before-restore"))
    if vendor == "sqlite":
        target = sqlite_path()
        connections.close_all()
        # The backup API writes through SQLite's own locking, so a live WAL database
        # is replaced page by page instead of being copied over underneath its readers.
        sqlite_copy(path, target)
    else:
        args, env = postgres_env()
        name = str(connection.settings_dict["NAME"])
        connections.close_all()
        result = subprocess.run(  # noqa: S603 -- fixed argv, no shell
            [
                postgres_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                name,
                *args,
                str(path),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise CommandError(
                f"pg_restore failed (nothing was changed; the transaction was rolled back): "
                f"{result.stderr.strip()}"
            )
    return safety


class Command(BaseCommand):
    help = "Restore a backup written by backup_create over the current database (needs --yes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup file")
        parser.add_argument(
            "--yes", action="store_true", help="confirm that the current data may be replaced"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        if not options["yes"]:
            vendor = database_vendor()
            (sqlite_backup_check if vendor == "sqlite" else postgres_backup_check)(path)
            raise CommandError(
                f"{path} looks like a good backup. Restoring replaces ALL current data; "
                "stop the web and worker processes and run again with --yes."
            )
        safety = backup_restore(path)
        self.stdout.write(self.style.SUCCESS(f"Restored {path}."))
        self.stdout.write(f"The data that was replaced is kept in {safety}.")
