"""Keep the server log quiet when nothing is wrong.

- A refused request (403, 404, 429) is one line, never a traceback: the refusal is the answer,
  not a fault. A form sent back with its errors (400 on a page) is no line at all: the user was
  told, on the form. Server errors (5xx) keep their traceback.
- A warning (Python's `warnings`, routed to `py.warnings`) is logged once per message and place,
  not once per request.
"""

from __future__ import annotations

import logging


class QuietRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is None or status >= 500:
            return True
        if status == 400 and not str(
            getattr(getattr(record, "request", None), "path", "")
        ).startswith("/api/"):
            return False
        record.exc_info = None
        record.exc_text = None
        return True


class OncePerMessage(logging.Filter):
    """Lets each distinct message through once per process."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.getMessage()}"
        if key in self.seen:
            return False
        self.seen.add(key)
        return True
