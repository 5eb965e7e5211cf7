"""`limit` and `offset` as every list endpoint takes them, and the page it answers with.

One dependency (`Paging`) so the bounds, defaults and their OpenAPI description are stated
once; `page_of` turns a repository's (rows, total) into the `Page` body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query

from api.schemas import BIGINT_MAX, Page

M = TypeVar("M")
T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True)
class PageQuery:
    limit: int = 100
    offset: int = 0


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> PageQuery:
    return PageQuery(limit=limit, offset=offset)


Paging = Annotated[PageQuery, Depends(paging)]


def page_of(read: Callable[[M], T], found: tuple[Iterable[M], int], window: PageQuery) -> Page[T]:
    """The page body for a repository's (rows, total), each row shaped by `read`."""
    rows, total = found
    return Page(
        items=[read(row) for row in rows], total=total, limit=window.limit, offset=window.offset
    )
