"""Builders for the notification tests, over the shared personas."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.test import TestCase

from accounts import services as account_services
from members.models import Role
from notifications import egress, services

from ..factories import UserFactory
from ..members import factories as mf
from .receiver import Receiver

# The receivers of these tests listen on loopback, which the platform refuses unless listed.
LOOPBACK = ["127.0.0.0/8"]

# A DNS of the tests' own: names of receivers that are saved but never called answer public
# addresses; a test adds the names it needs (`dns`). Nothing asks the machine's resolver.
PUBLIC_NAMES = {
    "hooks.example.cn": ["93.184.215.14"],
    "grid.example.cn": ["93.184.215.15"],
    "qyapi.weixin.qq.com": ["93.184.215.16"],
    "oapi.dingtalk.com": ["93.184.215.17"],
}


class FakeDns:
    def __init__(self) -> None:
        self.names: dict[str, list] = {name: list(a) for name, a in PUBLIC_NAMES.items()}
        self.lookups: list[str] = []

    def getaddrinfo(self, host, port, *args, **kwargs):
        self.lookups.append(host)
        answers = self.names.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        # A list answers the same each time; a callable may change its mind (DNS rebinding).
        addresses = answers() if callable(answers) else answers
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port),
            )
            for address in addresses
        ]


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    fake = FakeDns()
    monkeypatch.setattr(egress, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture(autouse=True)
def loopback_receivers(settings, monkeypatch):
    """The tests' receivers are allowed; and whatever a test does, no connection leaves this
    machine (the fake DNS answers public addresses for names that are never to be called)."""
    settings.WEBHOOK_ALLOWED_NETWORKS = LOOPBACK
    real_open = egress.open_socket

    def loopback_only(address, port, timeout):
        assert ipaddress.ip_address(address).is_loopback, f"a test tried to reach {address}"
        return real_open(address, port, timeout)

    monkeypatch.setattr(egress, "open_socket", loopback_only)


def committed(action):
    """Run the on-commit work (queueing and, eagerly, sending) as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return action()


def notify(recipients=(), *, key="k1", event="claim", title="一条通知", committee=None, **kw):
    tenant_id = committee.tenant_id if committee is not None else recipients[0].tenant_id
    return committed(
        lambda: services.notify(
            tenant_id=tenant_id,
            recipients=list(recipients),
            event=event,
            title=title,
            key=key,
            committee=committee,
            **kw,
        )
    )


def endpoint(committee, url, format="standard", name="接收端", secret="", events=None):
    """Connected by a tenant administrator of the committee's city, as the service requires."""
    from members.models import Role, User

    admin = User.objects.filter(
        grants__role=Role.TENANT_ADMIN,
        grants__committee__in=committee.get_ancestors(include_self=True),
    ).first()
    return services.webhook_endpoint_create(
        actor=admin,
        committee=committee,
        data=services.EndpointData(name=name, url=url, format=format, secret=secret, events=events),
    )


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def contact(world):
    """A member unit's contact: no committee grant at all, only the unit."""
    unit = mf.unit(world.community, name="国网东城供电公司")
    user = UserFactory(tenant=world.city.tenant, username="gw_contact", email="gw@example.cn")
    account_services.role_grant(user=user, role=Role.UNIT_CONTACT, member_unit=unit)
    return user
