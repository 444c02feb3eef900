"""Keyset pages of in-memory rows."""

import copy
from collections.abc import Callable
from typing import Protocol, TypeVar

from application.pagination import Page, PageRequest


class _Identified(Protocol):
    @property
    def id(self) -> int | None: ...


T = TypeVar("T", bound=_Identified)


def page_of(rows: dict[int, T], page: PageRequest, keep: Callable[[T], bool] = lambda _: True) -> Page[T]:
    """The rows kept by `keep` after `page.after`, in id order, copied (as a query's results are)."""
    ids = sorted(i for i, row in rows.items() if i > page.after and keep(row))[: page.limit + 1]
    return Page.from_overfetch([copy.copy(rows[i]) for i in ids], page, lambda row: row.id or 0)
