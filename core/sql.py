"""Lookups the ORM lacks, registered on every field when the app is ready."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import Lookup


class IdsIn(Lookup):
    """`key IN (1, 2, …)` for a long list of integer ids (`pk__ids_in=ids`), sent on PostgreSQL
    as `key = ANY(%s)` with the list as one array parameter. Django's `__in` prepares the values
    one by one, when the filter is built and again when it is compiled: for the 2,000 ids of a
    matching chunk that was 5 ms a statement, a full pass spending more on it than on running
    them. Other databases get the plain IN."""

    lookup_name = "ids_in"
    prepare_rhs = False

    def get_prep_lookup(self):
        return sorted({int(value) for value in self.rhs})

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        marks = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs} IN ({marks})", (*params, *self.rhs)

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, self.rhs)


models.Field.register_lookup(IdsIn)
models.ForeignObject.register_lookup(IdsIn)
