"""Where the server may call out to: webhook receivers and group robots (DESIGN: outbound calls reach
only the hosts or networks the operator allows).

A tenant administrator types the URL of a webhook; without a check, that is a way to make the
server call its own intranet (SSRF): the cloud metadata address, an admin console on loopback, a
database on a private network. So an outbound call goes only to a public address, or to an
address or host name the platform operator lists in `WEBHOOK_ALLOWED_NETWORKS` (comma-separated
networks such as `10.20.0.0/16`, single addresses, or exact host names). Refused unless listed:
loopback, link-local, private and other special-purpose ranges, multicast, reserved and
unspecified addresses, IPv4 and IPv6 alike; an IPv6 address that carries an IPv4 one (mapped
`::ffff:a.b.c.d`, 6to4) is judged by the IPv4 address it carries.

The host name is resolved and every address it resolves to is checked when the endpoint is saved,
and again on every send, and the send connects to the address just checked (never resolving a
second time, so a name cannot answer a public address to the check and a private one to the
connection: DNS rebinding). The request keeps the URL's host in its Host header and, for https,
in the TLS server name, so certificates are verified against the name the administrator typed.
Redirects are never followed: a 3xx answer is a failed send.

Nothing here touches the database."""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SETTING = "WEBHOOK_ALLOWED_NETWORKS"

getaddrinfo = socket.getaddrinfo  # the resolver (the tests put their own DNS here)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """The URL may not be called; the message (Chinese) says why and which setting allows it."""


@dataclass(frozen=True)
class Allowance:
    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    def covers(self, host: str, address: Address) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        candidates = {address, unwrap(address)}
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)


def allowance() -> Allowance:
    """The operator's list, read from settings at each call (tests and deployments change it)."""
    entries = getattr(settings, SETTING, ()) or ()
    if isinstance(entries, str):
        entries = entries.split(",")
    networks: list[Network] = []
    hosts: set[str] = set()
    for entry in (str(e).strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(unwrap_network(ipaddress.ip_network(entry.strip("[]"), strict=False)))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return Allowance(networks=tuple(networks), hosts=frozenset(hosts))


def unwrap(address: Address) -> Address:
    """The IPv4 address an IPv6 one stands for (mapped or 6to4), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return embedded
    return address


def unwrap_network(network: Network) -> Network:
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


# What makes an address not public, in the order a label is chosen (240.0.0.0/4 is both
# reserved and private: "reserved" says more).
NON_PUBLIC = (
    ("is_unspecified", gettext_lazy("未指定地址")),
    ("is_loopback", gettext_lazy("本机回环地址")),
    ("is_link_local", gettext_lazy("链路本地地址")),
    ("is_multicast", gettext_lazy("组播地址")),
    ("is_reserved", gettext_lazy("保留地址")),
    ("is_private", gettext_lazy("内网或专用地址")),
)


def non_public_kind(address: Address) -> str | None:
    """Why an address is not public (a Chinese label), or None when it is."""
    address = unwrap(address)
    for attribute, label in NON_PUBLIC:
        if getattr(address, attribute):
            return str(label)
    return None if address.is_global else _("非公网地址")


def resolve(host: str, port: int) -> list[Address]:
    """Every address the host name resolves to (an address literal is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Refused(
            _("无法解析主机名%(host)s：%(error)s") % {"host": host, "error": error}
        ) from error
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class Target:
    """A URL checked for sending: the address to connect to, and what the request must say."""

    scheme: str
    host: str
    port: int
    address: Address
    path: str  # with its query

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def check(url: str) -> Target:
    """Resolve the URL's host and check every address it has; raise `Refused` if any is outside
    what the operator allows. Returns where to connect."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("地址须以http://或https://开头并包含主机名。"))
    if parts.username or parts.password:
        raise Refused(_("地址中不能包含用户名或密码。"))
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise Refused(_("地址中的端口无效。")) from error
    try:  # a Chinese domain name travels as its ASCII (IDNA) form, in DNS and the Host header
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError as error:
        raise Refused(_("主机名无效。")) from error
    addresses = resolve(host, port)
    if not addresses:
        raise Refused(_("无法解析主机名%(host)s。") % {"host": host})
    allowed = allowance()
    for address in addresses:
        kind = non_public_kind(address)
        if kind is not None and not allowed.covers(host, address):
            raise Refused(refusal(host, address, kind))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)


def refusal(host: str, address: Address, kind: str) -> str:
    shown = host if host == str(address) else f"{host}（{address}）"
    return _(
        "%(shown)s是%(kind)s，为防止借Webhook访问内网，平台只向公网地址推送。"
        "如确需推送到该地址，请平台运维人员在环境变量%(setting)s中加入该网段、地址或主机名。"
    ) % {"shown": shown, "kind": kind, "setting": SETTING}


# --- connecting to the checked address ----------------------------------------------------------


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The system's certificate authorities, loaded once per process."""
    return ssl.create_default_context()


def open_socket(address: Address, port: int, timeout: float) -> socket.socket:
    """The one place an outbound connection is made, to an address `check` allowed."""
    return socket.create_connection((str(address), port), timeout=timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(str(target.address), target.port, timeout=timeout)
        self.target = target

    def connect(self):
        self.sock = open_socket(self.target.address, self.target.port, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self):
        super().connect()
        # The name the administrator typed, for SNI and the certificate check: not the address.
        self.sock = tls_context().wrap_socket(self.sock, server_hostname=self.target.host)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes  # the first 64 KiB
    location: str = ""  # where a redirect points (never followed)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST to the URL after checking it. A redirect is returned as it came (http.client never
    follows one)."""
    target = check(url)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout)
    try:
        connection.request(
            "POST", target.path, body=body, headers={"Host": target.host_header, **headers}
        )
        response = connection.getresponse()
        return Answer(
            status=response.status,
            body=response.read(65536),
            location=response.getheader("Location", ""),
        )
    finally:
        connection.close()
