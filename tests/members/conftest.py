import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads kept by imports go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
