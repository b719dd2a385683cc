"""What closing (撤销) a committee means for what hangs on it, said before it is done.

The tree stands below every business room, so it cannot count their records itself: each room
registers, in its `AppConfig.ready`, a function that says how many of its records the closing
touches and what becomes of them. The close page shows every non-empty line, with its count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Impact:
    what: str  # "未办结的需求"
    count: int
    outcome: str  # what happens to them


_counters: list[Callable] = []


def register(counter: Callable) -> Callable:
    """`counter(committee) -> list[Impact]`; registered once per process."""
    if counter not in _counters:
        _counters.append(counter)
    return counter


def close_impacts(committee) -> list[Impact]:
    impacts = [impact for counter in _counters for impact in counter(committee)]
    return [impact for impact in impacts if impact.count]
