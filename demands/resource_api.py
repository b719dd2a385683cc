"""The resources API (resources, bulk create, categories). Filled in by the resource pages work."""


def register(router) -> None:
    """Add this module's viewsets to the API router."""
