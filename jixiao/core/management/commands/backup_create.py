"""``manage.py backup_create``: a consistent backup of the database into var/backups/.

SQLite is copied with its online backup API, which is consistent while the web
and worker processes keep writing. PostgreSQL is dumped with ``pg_dump -Fc``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

SQLITE_SUFFIX = ".sqlite3"
POSTGRES_SUFFIX = ".dump"


def backup_dir() -> Path:
    return Path(settings.VAR_DIR) / "backups"


def database_vendor() -> str:
    """'sqlite' or 'postgresql'; anything else cannot be backed up by these commands."""
    vendor = str(connection.vendor)
    if vendor not in {"sqlite", "postgresql"}:
        raise CommandError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or not name:
        raise CommandError(f"The SQLite database {name!r} is not a file that can be backed up.")
    return Path(name)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database into another through the online backup API."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def postgres_env() -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump / pg_restore, the password through the environment."""
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def postgres_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} is not on PATH. Install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client) matching the server's version."
        )
    return path


def backup_path(label: str = "") -> Path:
    """A new file name under var/backups/: jixiao-<UTC timestamp>[-label].<suffix>."""
    suffix = SQLITE_SUFFIX if database_vendor() == "sqlite" else POSTGRES_SUFFIX
    stem = "jixiao-" + timezone.now().strftime("%Y%m%d-%H%M%S") + (f"-{label}" if label else "")
    candidate = backup_dir() / f"{stem}{suffix}"
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = backup_dir() / f"{stem}-{counter}{suffix}"
    return candidate


def backup_create(output: Path | None = None) -> Path:
    """Write a backup and return its path."""
    vendor = database_vendor()
    target = output or backup_path()
    if target.exists():
        raise CommandError(f"{target} exists already; refusing to overwrite it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if vendor == "sqlite":
            sqlite_copy(sqlite_path(), partial)
        else:
            args, env = postgres_env()
            result = subprocess.run(  # noqa: S603 -- fixed argv, no shell
                [
                    postgres_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(partial),
                    *args,
                    str(connection.settings_dict["NAME"]),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    target.chmod(0o600)
    return target


class Command(BaseCommand):
    help = "Write a backup of the database to var/backups/ (SQLite or PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="write the backup to this file instead")

    def handle(self, *args: Any, **options: Any) -> None:
        path = backup_create(options["output"])
        size = path.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"Backup written: {path} ({size:,} bytes)"))
