"""Page-number pagination shared by every list endpoint: ``Page[ItemOut]`` + ``paginate``.

Usage in an app's ``api.py``::

    @router.get("/things", response={200: Page[ThingOut], **ERRORS})
    def thing_list(request, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE):
        return paginate(thing_list_visible(viewer=request.user), page, page_size)

or take the parameters as one query schema: ``paging: Query[PageQuery]`` and
``paginate(qs, paging.page, paging.page_size)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from jixiao.core.api_errors import ERRORS, ErrorOut, ServiceError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "ERRORS",
    "ErrorOut",
    "Page",
    "PageQuery",
    "page_size_max",
    "paginate",
]

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50


def page_size_max() -> int:
    return int(getattr(settings, "API_PAGE_SIZE_MAX", 200))


class Page(Schema, Generic[T]):
    """One page of a list: the items plus what a client needs to fetch the rest."""

    items: list[T]
    count: int = Field(ge=0, description="Number of items across all pages.")
    page: int = Field(ge=1, description="This page's number, starting at 1.")
    page_size: int = Field(ge=1, description="Items per page as requested.")


class PageQuery(Schema):
    """The page parameters as a query schema, with their bounds in the OpenAPI document."""

    page: int = Field(1, ge=1, description="Page number, starting at 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=page_size_max(),
        description="Items per page (at most API_PAGE_SIZE_MAX).",
    )


def paginate(items: QuerySet[Any] | Sequence[Any], page: int, page_size: int) -> dict[str, Any]:
    """Cut one page out of a queryset or list; out-of-range parameters are a 422.

    A page past the end is an empty page, not an error, so clients can stop on
    ``len(items) < page_size``.
    """
    fields: dict[str, list[str]] = {}
    if page < 1:
        fields["page"] = [_("页码必须大于或等于 1。")]
    limit = page_size_max()
    if page_size < 1 or page_size > limit:
        fields["page_size"] = [_("每页条数必须在 1 到 %(max)d 之间。") % {"max": limit}]
    if fields:
        raise ServiceError(_("分页参数有误。"), code="invalid_page", fields=fields)
    count = items.count() if isinstance(items, QuerySet) else len(items)
    start = (page - 1) * page_size
    # Past the end, don't slice: a huge offset overflows the database's integers.
    return {
        "items": list(items[start : start + page_size]) if start < count else [],
        "count": count,
        "page": page,
        "page_size": page_size,
    }
