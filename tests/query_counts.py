"""How many queries a list takes, to show it stays the same whatever the number of rows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def query_counts(client, urls) -> list[int]:
    """The queries each URL takes once warm (a first request loads the session and grants)."""
    counts = []
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        counts.append(len(captured.captured_queries))
    return counts
