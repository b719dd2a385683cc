"""Pages of a list whose rows are read as values with the names they show.

A list reads its rows as `values("title", "category__name", ...)`: the names come joined in.
Counted as it stands, that statement counts the joins too (every resource of a city joined to
its category, committee and unit: 27 ms for what the rows' own table answers in 3). A list read
that way says what it counts with `counted_as`, and `RowPaginator` counts that instead.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import pagination

COUNTED_FROM = "counted_from"
SORTED_ON = "sorted_on"


def counted_as(rows: QuerySet, source: QuerySet) -> QuerySet:
    """`rows` (a values or only() read of `source`) to be counted as `source`: the same rows,
    without what only names them."""
    setattr(rows, COUNTED_FROM, source)
    return rows


def sorted_on(rows: QuerySet, source: QuerySet) -> QuerySet:
    """`rows` (a values read of `source`, in its order) to be counted, sorted and cut into pages
    on `source` alone: only the page's rows are then read with their names. A city's 40,000
    demands sorted by another key than the newest first were joined to their names before the
    sort (80-100 ms a page); sorted on their own table, 15."""
    setattr(rows, SORTED_ON, source)
    return counted_as(rows, source)


class RowPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        source = getattr(self.object_list, COUNTED_FROM, None)
        return source.count() if source is not None else super().count

    def page(self, number):
        source = getattr(self.object_list, SORTED_ON, None)
        if source is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(source.values_list("pk", flat=True)[bottom:top])
        # The same rows in the same order: the list's ORDER BY holds for the page too.
        return self._get_page(self.object_list.filter(pk__in=keys), number, self)


class CappedPaginator(RowPaginator):
    """For a list that can hold a whole city's party members (720,000): counts up to `cap` rows
    and says "more than" beyond, as `capped`. Counting all of them took 80 ms; up to the cap,
    20. Pages past the cap are not offered: a reader that far down narrows the list instead."""

    cap = 50_000

    @cached_property
    def count(self) -> int:
        source = getattr(self.object_list, COUNTED_FROM, self.object_list)
        # A LIMIT inside the count, over the rows in no order: ordered, the cap would be taken
        # after sorting all of them.
        return source.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class PagePagination(pagination.PageNumberPagination):
    """The API's default: DRF's page numbers, counted as `RowPaginator` counts. (Here, not in
    `core.api`: DRF reads this setting while `core.api`'s own imports are loading.)"""

    django_paginator_class = RowPaginator
