"""A local HTTP server that records every request made to it: a webhook receiver or a group
robot for the tests, on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import ssl
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
    """Records requests in order. `answer(status, body, headers)` sets the reply; `hold(n)`
    makes the n-th request (counting from 1) wait, recorded but unanswered, until the event is
    set. With a `tls` context it speaks https (and `server_names` records each client's SNI)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Received] = []
        self.status = 200
        self.body = b'{"errcode": 0, "errmsg": "ok"}'
        self.headers: dict[str, str] = {}
        self.holds: dict[int, threading.Event] = {}
        self.server_names: list[str | None] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        # A short poll: stopping waits for it, and many tests start and stop a receiver.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        for event in self.holds.values():
            event.set()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, status: int, body: dict | bytes = b"", headers: dict | None = None) -> None:
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body
        self.headers = dict(headers or {})

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
                    for name, value in receiver.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(receiver.body)
                except OSError:
                    pass  # the sender was killed while we held its request

            def log_message(self, format, *args):
                pass

        return Handler
