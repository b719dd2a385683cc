"""A new tenant starts with the default categories, their escalation deadlines and the default
thesaurus (`categories.defaults`), in the transaction that creates it; its administrator edits
them afterwards. Connected in `CategoriesConfig.ready` (the committees room, below, knows
nothing of categories)."""

from __future__ import annotations


def tenant_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    from .defaults import categories_ensure_defaults

    categories_ensure_defaults(instance)
