import pytest
import time_machine

from .factories import NOW, build_case


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(world, pinned):
    return build_case(world)
