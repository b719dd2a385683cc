"""Outgoing webhook formats: Standard Webhooks (signed JSON), and the WeCom and DingTalk group
robots, which take markdown summaries.

Nothing here touches the database: each function builds or posts one HTTP request, and `post`
sends it only where `egress` allows."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass

from . import egress

USER_AGENT = "coordination-platform-webhooks/1"
# WeCom refuses markdown over 4096 bytes; DingTalk takes more, but a summary that long is not
# read anyway. The rest of a summary stays in the inbox.
ROBOT_MARKDOWN_BYTES = 4000


class WebhookError(Exception):
    """The receiver refused the request (a robot answers HTTP 200 with an error code)."""


@dataclass
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


# --- Standard Webhooks (https://www.standardwebhooks.com/) ------------------------------------


def new_standard_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; a `whsec_` secret is base64 of the key."""
    key = (
        base64.b64decode(secret.removeprefix("whsec_"))
        if secret.startswith("whsec_")
        else secret.encode()
    )
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_request(
    *, url: str, secret: str, message_id: str, event: str, data: dict, now: int | None = None
) -> Request:
    """One signed message. `message_id` is the delivery's idempotency key: a re-send carries the
    same id (and a fresh timestamp and signature), so the receiver can drop a repeat."""
    timestamp = int(now if now is not None else time.time())
    body = json.dumps(
        {
            "type": event,
            "timestamp": dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(),
            "data": data,
        },
        ensure_ascii=False,
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
    }
    return Request(url=url, body=body, headers=headers)


# --- group robots -------------------------------------------------------------------------------

# Characters that would turn a title into robot markdown (a link, a heading, a <font> tag).
_MARKDOWN_ACTIVE = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "*": "＊",
        "#": "＃",
        "`": "｀",
        "\n": " ",
        "\r": " ",
    }
)


def plain(text: str) -> str:
    """A piece of business text made inert inside robot markdown."""
    return str(text).translate(_MARKDOWN_ACTIVE)


def robot_markdown(title: str, lines: list[str], more: str = "") -> str:
    """A heading and one bullet per line, cut to what a robot accepts; `more` (with `{n}` for
    the number left out) closes a summary that had to be cut."""
    head = f"### {plain(title)}"
    kept: list[str] = []
    size = len(head.encode())
    for index, line in enumerate(lines):
        bullet = f"- {line}"
        tail = more.format(n=len(lines) - index - 1) if more else ""
        if size + len(bullet.encode()) + len(tail.encode()) + 2 > ROBOT_MARKDOWN_BYTES:
            if more:
                kept.append(more.format(n=len(lines) - index))
            break
        kept.append(bullet)
        size += len(bullet.encode()) + 1
    return "\n".join([head, *kept])


def wecom_request(*, url: str, title: str, lines: list[str], more: str = "") -> Request:
    body = {"msgtype": "markdown", "markdown": {"content": robot_markdown(title, lines, more)}}
    return Request(
        url=url,
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )


def dingtalk_signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """DingTalk's signed robot URL: timestamp and base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    if not secret:
        return url
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def dingtalk_request(
    *, url: str, secret: str, title: str, lines: list[str], more: str = ""
) -> Request:
    body = {
        "msgtype": "markdown",
        "markdown": {"title": plain(title), "text": robot_markdown(title, lines, more)},
    }
    return Request(
        url=dingtalk_signed_url(url, secret),
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )


# --- sending ------------------------------------------------------------------------------------


def post(request: Request, timeout: float = 10, *, robot: bool = False) -> int:
    """POST the request to an address the operator allows (`egress`); any status but 2xx raises,
    a redirect too: a webhook goes where it was configured, never where an answer points. A
    robot answers 200 with `errcode`: anything but 0 (a bad signature, the rate limit) raises
    too, so the summary is tried again."""
    answer = egress.post(
        request.url, request.body, {"User-Agent": USER_AGENT, **request.headers}, timeout
    )
    status, content = answer.status, answer.body
    if 300 <= status < 400:
        raise WebhookError(f"HTTP {status}: 不跟随重定向（{answer.location[:200]}）")
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status}")
    if robot:
        try:
            reply = json.loads(content or b"{}")
        except ValueError as error:
            raise WebhookError(f"not a robot's answer: {content[:200]!r}") from error
        if reply.get("errcode", 0) != 0:
            raise WebhookError(f"errcode {reply.get('errcode')}: {reply.get('errmsg', '')}")
    return status
