"""Sign-in and the second factor use the security personas (the separated administrators)."""

from ..security.conftest import admins  # noqa: F401 - a fixture
