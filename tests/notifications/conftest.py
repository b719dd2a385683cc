"""Builders for the notification tests, over the shared personas."""

from __future__ import annotations

import pytest
from django.test import TestCase

from accounts import services as account_services
from members.models import Role
from notifications import services

from ..factories import UserFactory
from ..members import factories as mf
from .receiver import Receiver


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
