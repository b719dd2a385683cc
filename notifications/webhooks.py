"""Outgoing webhook formats: Standard Webhooks (signed JSON), and the WeCom and DingTalk group
robots, which take markdown summaries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


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
    timestamp = int(now if now is not None else time.time())
    body = json.dumps(
        {"type": event, "timestamp": timestamp, "data": data}, ensure_ascii=False
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
    }
    return Request(url=url, body=body, headers=headers)


def robot_markdown(title: str, lines: list[str]) -> str:
    return "\n".join([f"### {title}", *[f"- {line}" for line in lines]])


def wecom_request(*, url: str, title: str, lines: list[str]) -> Request:
    body = {"msgtype": "markdown", "markdown": {"content": robot_markdown(title, lines)}}
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


def dingtalk_request(*, url: str, secret: str, title: str, lines: list[str]) -> Request:
    body = {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": robot_markdown(title, lines)},
    }
    return Request(
        url=dingtalk_signed_url(url, secret),
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )


def post(request: Request, timeout: float = 10) -> int:
    http_request = urllib.request.Request(
        request.url, data=request.body, headers=request.headers, method="POST"
    )
    with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310 - configured endpoints
        return response.status
