"""Keyset pagination on ids: page N costs the same as page 1."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import ValidationError
from domain.ids import ID_MAX

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Up to `limit` items whose id is greater than `after` (0 for the first page), in id order."""

    limit: int = DEFAULT_PAGE_SIZE
    after: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValidationError("limit", f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if not 0 <= self.after <= ID_MAX:
            raise ValidationError("after", f"after must be between 0 and {ID_MAX}")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of items; `next_cursor` is the `after` of the next page, or None on the last one."""

    items: Sequence[T]
    next_cursor: int | None

    @classmethod
    def from_overfetch(cls, items: Sequence[T], page: PageRequest, id_of: Callable[[T], int]) -> "Page[T]":
        """Build a page from up to `limit + 1` items fetched in id order: the extra one only says
        that a next page exists."""
        if len(items) > page.limit:
            kept = items[: page.limit]
            return cls(kept, id_of(kept[-1]))
        return cls(items, None)
