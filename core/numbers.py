"""Numbers as people write them: 999, not 999.0; 12.5 stays 12.5; a score as a whole percent.

One place for it, used by the services' messages and the templates' filters
(`core/templatetags/numbers.py`), so a page, an API error and an e-mail say the same thing.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def number(value) -> str:
    """A quantity without a trailing ".0" and without exponent: 15, 12.5, 100000."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    if amount == amount.to_integral_value():
        return f"{amount.quantize(Decimal(1)):f}"
    return f"{amount.normalize():f}"


def percent(score) -> str:
    """A match score (0..1) as the one way every page shows it: 匹配度62%."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return ""
    return f"{round(value * 100)}%"
