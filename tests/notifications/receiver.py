"""A local HTTP server that records every request made to it: a webhook receiver or a group
robot for the tests, on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)


class Receiver:
    """Records requests in order. `answer(status, body)` sets the reply; `hold(n)` makes the
    n-th request (counting from 1) wait, recorded but unanswered, until the event is set."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status = 200
        self.body = b'{"errcode": 0, "errmsg": "ok"}'
        self.holds: dict[int, threading.Event] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        for event in self.holds.values():
            event.set()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, status: int, body: dict | bytes = b"") -> None:
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body

    def hold(self, number: int) -> threading.Event:
        self.holds[number] = threading.Event()
        return self.holds[number]

    def webhook_ids(self) -> list[str]:
        with self.lock:
            return [r.headers.get("webhook-id", "") for r in self.requests]

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parsed = urllib.parse.urlsplit(self.path)
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            path=parsed.path,
                            query=dict(urllib.parse.parse_qsl(parsed.query)),
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                        )
                    )
                    number = len(receiver.requests)
                held = receiver.holds.get(number)
                if held is not None:
                    held.wait(timeout=60)
                try:
                    self.send_response(receiver.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(receiver.body)))
                    self.end_headers()
                    self.wfile.write(receiver.body)
                except OSError:
                    pass  # the sender was killed while we held its request

            def log_message(self, format, *args):
                pass

        return Handler
