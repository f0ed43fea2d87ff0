"""A real Git repository built with pygit2: commits at chosen times by chosen people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pygit2

WANG = ("王姐", "Wang@XingHai.example")
LI = ("李哥", "li@xinghai.example")


class RepoBuilder:
    """A real non-bare repository with commits at chosen times by chosen people."""

    def __init__(self, path: Path) -> None:
        self.repo = pygit2.init_repository(str(path), bare=False, initial_head="main")
        self.tick = int(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC).timestamp())

    def _sig(self, who: tuple[str, str]) -> pygit2.Signature:
        self.tick += 3600
        return pygit2.Signature(who[0], who[1], self.tick, 480)

    def commit(
        self,
        who: tuple[str, str],
        message: str,
        parents: list[pygit2.Oid],
        *,
        ref: str | None = "refs/heads/main",
        file_name: str = "notes.txt",
    ) -> pygit2.Oid:
        blob = self.repo.create_blob(f"{message}\n".encode())
        builder = self.repo.TreeBuilder()
        builder.insert(file_name, blob, pygit2.enums.FileMode.BLOB)
        tree = builder.write()
        sig = self._sig(who)
        return self.repo.create_commit(ref, sig, sig, message, tree, parents)


def shop_history(path: Path) -> tuple[RepoBuilder, dict[str, pygit2.Oid]]:
    """main: c1 (王姐) ← c2 (李哥) ← merge of feature (f1 by 李哥) by 王姐."""
    builder = RepoBuilder(path)
    c1 = builder.commit(WANG, "Add order list\n\nlong body that is not evidence", [])
    c2 = builder.commit(LI, "Fix currency rounding", [c1])
    f1 = builder.commit(LI, "Export orders to Excel", [c1], ref="refs/heads/feature")
    merge = builder.commit(WANG, "Merge branch 'feature'", [c2, f1])
    return builder, {"c1": c1, "c2": c2, "f1": f1, "merge": merge}
