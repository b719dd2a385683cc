"""The to-do tests use the security personas too."""

from ..security.conftest import admins  # noqa: F401 - a fixture
