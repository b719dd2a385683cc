"""`{{ row|ranking_cell:key }}`: a ranking cell written as the export writes it."""

from django import template

register = template.Library()


@register.filter
def ranking_cell(row, key: str) -> str:
    return row.shown(key)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
