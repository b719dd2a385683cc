"""The demands API (demands, claims, matches). Filled in by the demand pages work."""


def register(router) -> None:
    """Add this module's viewsets to the API router."""
