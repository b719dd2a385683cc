"""The bench's verdicts keep DESIGN.md's margin: a figure within 10% of its budget is not
within it."""

from __future__ import annotations

import pytest

from demo.bench_budget import within


@pytest.mark.parametrize(
    ("measured", "budget", "verdict"),
    [
        (44.9, 50.0, True),  # matching one demand: under 45 ms
        (45.0, 50.0, False),
        (47.3, 50.0, False),  # under the budget, but within 10% of it
        (2.6, 3.0, True),  # a list's ratio to its hand-written SQL
        (2.8, 3.0, False),
        (53.9, 60.0, True),  # delivery to 17,000 contacts, in seconds
        (55.0, 60.0, False),
    ],
)
def test_a_figure_is_within_its_budget_only_with_the_margin_free(measured, budget, verdict):
    assert within(measured, budget) is verdict
