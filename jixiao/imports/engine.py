"""The import framework's pure core: fields, header matching, cleaning rows, the plan.

An ``Importer`` (one per kind of file: employees, attendance punches, metric events …)
declares its target fields with labels, aliases for matching headers in Chinese and
English, required flags and per-field cleaners; it validates a row, plans the import
against the database (``plan``) and writes the plan (``commit``). Importers register
by name with ``register``; each app keeps its own in ``<app>/importers.py``.

Everything here is plain Python: the ORM work happens inside an importer's ``plan``
and ``commit``, called by ``jixiao.imports.services``.
"""

from __future__ import annotations

import contextlib
import gc
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from django.utils.translation import gettext as _

from jixiao.imports.cleaners import CleanError, clean_text, half_width, is_blank
from jixiao.imports.readers import Cell, RawSheet

Level = Literal["error", "warning"]
Action = Literal["create", "update", "unchanged", "error"]

HEADER_SCAN_ROWS = 10


@dataclass(frozen=True)
class FieldSpec:
    """One target field: how its column is recognised and its cells are cleaned."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    unique: bool = False
    clean: Callable[[Any], Any] = clean_text
    help: str = ""


@dataclass(frozen=True)
class ImportOption:
    """A setting of an import: a tick box offered before the preview ("create missing
    departments"), or, with ``tick_box=False``, a value the caller fixes when the file is
    uploaded and that stays with the batch (the metric source the rows go into).
    ``clean`` turns the given value into the stored one (and may refuse it)."""

    name: str
    label: str
    default: Any = False
    clean: Callable[[Any], Any] = bool
    tick_box: bool = True


@dataclass
class Issue:
    """A problem found at (row as numbered in the file, column header)."""

    row: int
    column: str
    message: str
    level: Level = "error"
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "level": self.level,
            "field": self.field,
        }


@dataclass
class Table:
    """The header row and the non-blank data rows under it."""

    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Cell]]]


@dataclass
class CleanRow:
    """One data row: cleaned values by field name, its raw cells by header, its issues."""

    number: int
    values: dict[str, Any]
    raw: dict[str, Cell]
    issues: list[Issue] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(issue.level == "error" for issue in self.issues)

    def error(self, column: str, message: str, field_name: str = "") -> None:
        self.issues.append(Issue(self.number, column, message, "error", field_name))

    def warn(self, column: str, message: str, field_name: str = "") -> None:
        self.issues.append(Issue(self.number, column, message, "warning", field_name))


@dataclass
class RowOutcome:
    """What the import does with one row; ``changes`` maps a field label to (old, new)."""

    row: int
    action: Action
    key: str
    label: str
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "action": self.action,
            "key": self.key,
            "label": self.label,
            "changes": {k: list(v) for k, v in self.changes.items()},
        }


@dataclass
class ImportPlan:
    """The dry run's result; ``payload`` is the importer's own data for ``commit``."""

    rows: list[CleanRow]
    outcomes: list[RowOutcome]
    payload: Any = None

    @property
    def issues(self) -> list[Issue]:
        found = [issue for row in self.rows for issue in row.issues]
        return sorted(found, key=lambda i: (i.row, i.level != "error"))

    def count(self, action: Action) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def error_rows(self) -> list[CleanRow]:
        return [row for row in self.rows if row.has_errors]


@dataclass
class CommitResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


Progress = Callable[[int, int], None]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one bulk step (also a decorator).

    Cleaning, planning and writing a roster allocate hundreds of thousands of small
    objects that live until the step ends, and the collector keeps walking them (a full
    collection walks the whole heap, the application's modules included): about a
    second of a 10,000-row import went there.
    Reference counting still frees everything outside a cycle, and the collector
    resumes (and catches up) when the step ends, also on an exception. It is
    process-wide, so use it around a bounded step, as the importers do.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Importer(ABC):
    """A kind of file that can be imported. Instantiated per company and run."""

    name: ClassVar[str]
    label: ClassVar[Any]  # a (lazily translated) display name
    permission: ClassVar[str]
    chunk_size: ClassVar[int] = 2000

    def __init__(self, *, company: Any, actor: Any, options: Mapping[str, Any] | None = None):
        self.company = company
        self.actor = actor
        self.options: dict[str, Any] = self.options_clean(options or {})

    def options_clean(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every option's value from ``given`` (its default when missing), cleaned."""
        return {
            opt.name: opt.clean(given.get(opt.name, opt.default)) for opt in self.option_specs()
        }

    @abstractmethod
    def fields(self) -> list[FieldSpec]:
        """The target fields (may depend on the company, e.g. its custom fields)."""

    def option_specs(self) -> list[ImportOption]:
        return []

    def mapping_remembered(self) -> dict[str, str]:
        """A mapping this importer keeps for its target (e.g. per metric source); {}: none."""
        return {}

    def mapping_remember(self, mapping: Mapping[str, str]) -> None:  # noqa: B027
        """Keep a mapping a preview accepted for the next file (inside the preview's
        transaction). Optional: by default mappings are kept only when saved by name."""

    def validate_row(self, row: CleanRow, columns: Mapping[str, str]) -> None:  # noqa: B027
        """Row-level checks beyond single cells; ``columns`` maps field name → header.

        Optional: the default has no row-level rule."""

    @abstractmethod
    def plan(self, rows: list[CleanRow], columns: Mapping[str, str]) -> ImportPlan:
        """Compare the rows with the database: what would be created, updated, unchanged."""

    @abstractmethod
    def commit(
        self, plan: ImportPlan, *, reason: str, progress: Progress | None = None
    ) -> CommitResult:
        """Write the plan's valid rows (the caller holds the transaction)."""


_REGISTRY: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    """Class decorator: make an importer available by its ``name``."""
    _REGISTRY[importer.name] = importer
    return importer


def importer_class(name: str) -> type[Importer] | None:
    return _REGISTRY.get(name)


def importer_names() -> list[str]:
    return sorted(_REGISTRY)


# --- Headers and mapping ---------------------------------------------------------------

_HEADER_NOISE = re.compile(r"[\s_\-–—:：*＊()（）\[\]【】<>《》/\\.。]|必填|选填|required|optional")


def header_key(text: str) -> str:
    """A header reduced to what matters for matching: "入职日期（必填）*" → "入职日期"."""
    return _HEADER_NOISE.sub("", half_width(text).lower())


def header_lookup(fields: Iterable[FieldSpec]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for spec in fields:
        for word in (spec.label, spec.name, *spec.aliases):
            key = header_key(word)
            if key:
                lookup.setdefault(key, spec.name)
    return lookup


def header_row_find(
    rows: Iterator[list[Any]], lookup: Mapping[str, str], *, scan: int = 10
) -> tuple[int, list[str], list[tuple[int, list[Any]]]] | None:
    """For the streamed bulk imports: among the first ``scan`` rows, the one naming most
    fields of ``lookup`` (``header_lookup``) is the header. Its number, its headers and
    the rows read past it (data); None when no row names any field."""
    buffered: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=1):
        buffered.append((number, cells))
        if len(buffered) >= scan:
            break
    best, best_score = -1, 0
    for index, (_n, cells) in enumerate(buffered):
        score = sum(1 for c in cells if c is not None and header_key(str(c)) in lookup)
        if score > best_score:
            best, best_score = index, score
    if best < 0:
        return None
    number, cells = buffered[best]
    headers = [str(c).strip() if c is not None else "" for c in cells]
    return number, headers, buffered[best + 1 :]


def _unique_headers(cells: Sequence[Cell]) -> list[str]:
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells, start=1):
        text = clean_text(cell) or _("第%(n)d列") % {"n": index}
        count = seen.get(text, 0) + 1
        seen[text] = count
        headers.append(text if count == 1 else f"{text} ({count})")
    return headers


def _row_blank(cells: Sequence[Cell]) -> bool:
    return all(is_blank(cell) for cell in cells)


def table_from_sheet(sheet: RawSheet, fields: Iterable[FieldSpec]) -> Table:
    """Find the header row (the one of the first rows naming most known fields — a title
    row above it is skipped) and keep the non-blank rows below it."""
    lookup = header_lookup(fields)
    candidates = [(number, cells) for number, cells in sheet.rows if not _row_blank(cells)]
    if not candidates:
        return Table([], 1, [])
    best_index, best_score = 0, -1
    for index, (_number, cells) in enumerate(candidates[:HEADER_SCAN_ROWS]):
        score = sum(1 for cell in cells if header_key(clean_text(cell)) in lookup)
        if score > best_score:
            best_index, best_score = index, score
    if best_score <= 0:
        best_index = 0
    header_number, header_cells = candidates[best_index]
    width = max(len(cells) for _, cells in candidates)
    last = max((i for i, c in enumerate(header_cells) if not is_blank(c)), default=-1)
    used_width = max(last + 1, 1)
    rows = []
    for number, cells in candidates[best_index + 1 :]:
        padded = list(cells) + [None] * (width - len(cells))
        rows.append((number, padded[:used_width]))
    return Table(_unique_headers(list(header_cells)[:used_width]), header_number, rows)


def suggest_mapping(headers: Sequence[str], fields: Iterable[FieldSpec]) -> dict[str, str]:
    """{header: field name} for every header that names a field ("" for unrecognised)."""
    lookup = header_lookup(fields)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        target = lookup.get(header_key(header), "")
        if target and target not in taken:
            mapping[header] = target
            taken.add(target)
        else:
            mapping[header] = ""
    return mapping


def mapping_errors(
    mapping: Mapping[str, str], headers: Sequence[str], fields: Sequence[FieldSpec]
) -> list[str]:
    """Why a mapping cannot be used: unknown columns or fields, a field mapped twice,
    a required field left unmapped."""
    specs = {spec.name: spec for spec in fields}
    errors: list[str] = []
    used: dict[str, str] = {}
    for header, target in mapping.items():
        if not target:
            continue
        if header not in headers:
            errors.append(_("文件中没有“%(h)s”这一列。") % {"h": header})
        elif target not in specs:
            errors.append(_("“%(h)s”对应的字段“%(f)s”不存在。") % {"h": header, "f": target})
        elif target in used:
            errors.append(
                _("“%(a)s”和“%(b)s”两列都对应“%(f)s”，只能选一列。")
                % {"a": used[target], "b": header, "f": specs[target].label}
            )
        else:
            used[target] = header
    for spec in fields:
        if spec.required and spec.name not in used:
            errors.append(_("必须指定“%(f)s”对应哪一列。") % {"f": spec.label})
    return errors


def columns_of(mapping: Mapping[str, str]) -> dict[str, str]:
    """{field name: header} from a {header: field name} mapping."""
    return {target: header for header, target in mapping.items() if target}


@gc_paused()
def clean_rows(
    table: Table, mapping: Mapping[str, str], fields: Sequence[FieldSpec]
) -> list[CleanRow]:
    """Clean every mapped cell; a cell that cannot be cleaned becomes an issue at its
    (row, column). Values of duplicated ``unique`` fields are errors on the later rows."""
    specs = {spec.name: spec for spec in fields}
    positions = [
        (index, header, specs[mapping[header]])
        for index, header in enumerate(table.headers)
        if mapping.get(header) in specs
    ]
    unique_seen: dict[str, dict[Any, int]] = {
        spec.name: {} for _, _, spec in positions if spec.unique
    }
    # Cleaners are pure, and most columns repeat a few values (状态, 部门, 岗位 …):
    # each distinct cell of a column is cleaned once.
    memo: dict[int, dict[Any, Any]] = {index: {} for index, _, _ in positions}
    headers = table.headers
    result: list[CleanRow] = []
    for number, cells in table.rows:
        row = CleanRow(number, {}, dict(zip(headers, cells, strict=False)))
        for index, header, spec in positions:
            cell = cells[index]
            seen = memo[index]
            key = (type(cell), cell)  # True == 1 == 1.0, but they clean differently
            try:
                value = seen[key]
            except (KeyError, TypeError):
                try:
                    value = spec.clean(cell)
                except CleanError as exc:
                    value = exc
                with contextlib.suppress(TypeError):
                    seen[key] = value
            if isinstance(value, CleanError):
                row.error(header, value.message, spec.name)
                continue
            row.values[spec.name] = value
            if spec.unique and not is_blank(value):
                first = unique_seen[spec.name].setdefault(value, number)
                if first != number:
                    row.error(
                        header,
                        _("“%(v)s”与第 %(n)d 行重复。") % {"v": value, "n": first},
                        spec.name,
                    )
        result.append(row)
    return result


def run_plan(importer: Importer, table: Table, mapping: Mapping[str, str]) -> ImportPlan:
    """Clean, validate and plan: everything the preview shows, nothing written."""
    fields = importer.fields()
    rows = clean_rows(table, mapping, fields)
    columns = columns_of(mapping)
    for row in rows:
        importer.validate_row(row, columns)
    return importer.plan(rows, columns)


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
