"""How a figure of `make bench` is judged against its budget (DESIGN.md, Performance budgets):
"a budget is a ceiling, not a target: a figure within 10% of it on these noisy machines is not
within it". Every verdict of the bench goes through `within`."""

from __future__ import annotations

NOISE_MARGIN = 0.10


def within(measured: float, budget: float) -> bool:
    """Whether a figure is within its budget with the margin kept free: under 90% of it."""
    return measured < budget * (1 - NOISE_MARGIN)
