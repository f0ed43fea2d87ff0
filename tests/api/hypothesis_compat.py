"""Lets hypothesis-jsonschema 0.23 (schemathesis 3's generator) run on current Hypothesis.

hypothesis-jsonschema drives ``hypothesis.internal.conjecture.utils.many`` with the
old ``while elements.more():`` loop; current Hypothesis only offers
``with many(...) as elements: for _ in elements:``. ``LegacyMany`` adds ``more()`` on
top of the new protocol and is handed to hypothesis-jsonschema alone. Remove this
file once the lock file pairs versions that agree.
"""

from __future__ import annotations

import types
from collections.abc import Iterator

import hypothesis.internal.conjecture.utils as conjecture_utils
import hypothesis_jsonschema._from_schema as from_schema_module


class LegacyMany(conjecture_utils.many):
    _elements: Iterator[None] | None = None

    def more(self) -> bool:
        if not hasattr(conjecture_utils.many, "__iter__"):
            return bool(super().more())  # type: ignore[misc]
        if self._elements is None:
            self.__enter__()
            self._elements = iter(self)
        if next(self._elements, False) is None:
            return True
        self.__exit__(None)
        return False


def install() -> None:
    if getattr(conjecture_utils.many, "more", None) is not None:
        return
    shim = types.ModuleType(conjecture_utils.__name__)
    shim.__dict__.update(vars(conjecture_utils))
    shim.many = LegacyMany  # type: ignore[attr-defined]
    from_schema_module.cu = shim  # type: ignore[attr-defined]
