"""Where file-based connectors (mbox, ERP export) may read: only below ``VAR_DIR/connector-files``.

A source's config is edited in the browser; letting it name any path on the
server would let an HR admin read the server's files. Exports are dropped into
this folder (by a mount, an SFTP job, a shared drive) and named relative to it.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _


def files_root() -> Path:
    return (Path(settings.VAR_DIR) / "connector-files").resolve()


def resolve_export_path(relative: str) -> Path | None:
    """The file a config names, or None when the name leaves the export folder."""
    root = files_root()
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    return candidate


def path_errors(relative: str, name: str) -> dict[str, list[str]]:
    if not relative:
        return {name: [_("必填。")]}
    if Path(relative).is_absolute() or resolve_export_path(relative) is None:
        return {name: [_("应为导出目录（connector-files）下的相对路径。")]}
    return {}
