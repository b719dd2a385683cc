"""Reading a picker (core/widgets.py) off a page: the id it sends and the name it shows."""

from __future__ import annotations

import html as html_lib
import re


def picked(page: str, name: str) -> tuple[str, str]:
    """The hidden value and the search box's text of the picker for field `name`."""
    match = re.search(
        r'<input type="hidden" name="' + re.escape(name) + r'" value="([^"]*)" data-picker-value>'
        r'\s*<input type="search"[^>]*?value="([^"]*)"',
        page,
    )
    assert match, f"no picker for {name!r} on the page"
    return html_lib.unescape(match.group(1)), html_lib.unescape(match.group(2))
