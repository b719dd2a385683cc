"""Outbound webhooks cannot be turned against the intranet (DESIGN: Reliability and security).

Every address here is checked, never called: the tests' DNS (`dns`) answers what each test needs,
and the only connections made go to the local receivers on loopback, which the tests allow
through the operator's setting unless a test empties it."""

from __future__ import annotations

import ipaddress
import ssl
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse

from notifications import egress, services, webhooks
from notifications.models import Delivery, DeliveryStatus, WebhookEndpoint

from .conftest import endpoint, notify
from .receiver import Receiver

SETTING = "WEBHOOK_ALLOWED_NETWORKS"

REFUSED = [
    ("127.0.0.1", "本机回环地址"),
    ("127.10.20.30", "本机回环地址"),
    ("[::1]", "本机回环地址"),
    ("169.254.169.254", "链路本地地址"),  # the cloud metadata service
    ("[fe80::1]", "链路本地地址"),
    ("10.0.0.1", "内网或专用地址"),
    ("172.16.5.4", "内网或专用地址"),
    ("192.168.1.1", "内网或专用地址"),
    ("[fd12:3456::1]", "内网或专用地址"),
    ("100.64.0.1", "非公网地址"),  # carrier-grade NAT
    ("224.0.0.1", "组播地址"),
    ("239.255.255.250", "组播地址"),
    ("[ff02::1]", "组播地址"),
    ("240.0.0.1", "保留地址"),
    ("255.255.255.255", "保留地址"),
    ("0.0.0.0", "未指定地址"),
    ("[::]", "未指定地址"),
    # IPv6 addresses that carry an IPv4 one are judged by it.
    ("[::ffff:127.0.0.1]", "本机回环地址"),
    ("[::ffff:10.1.2.3]", "内网或专用地址"),
    ("[::ffff:169.254.169.254]", "链路本地地址"),
    ("[2002:7f00:1::1]", "本机回环地址"),  # 6to4 of 127.0.0.1
]

PUBLIC = ["8.8.8.8", "[2001:4860:4860::8888]", "[::ffff:8.8.8.8]"]


def literal(host: str):
    return ipaddress.ip_address(host.strip("[]"))


class TestAddresses:
    @pytest.mark.parametrize("host,kind", REFUSED)
    def test_non_public_addresses_are_refused_naming_the_setting(self, settings, host, kind):
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        with pytest.raises(egress.Refused) as refused:
            egress.check(f"http://{host}:8080/hook")
        assert kind in str(refused.value) and SETTING in str(refused.value)

    @pytest.mark.parametrize("host", PUBLIC)
    def test_public_addresses_are_allowed(self, settings, host):
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        target = egress.check(f"https://{host}/hook?key=1")
        assert target.address == literal(host) and target.path == "/hook?key=1"

    def test_a_listed_network_or_address_allows_exactly_that(self, settings):
        settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16", "192.168.7.8", "::ffff:172.16.0.0/116"]
        for host in ("10.20.3.4", "[::ffff:10.20.3.4]", "192.168.7.8", "172.16.9.9"):
            assert egress.check(f"http://{host}/").address == literal(host)
        for host in ("10.21.0.1", "192.168.7.9", "127.0.0.1", "172.17.0.1"):
            with pytest.raises(egress.Refused):
                egress.check(f"http://{host}/")

    def test_a_listed_host_name_allows_that_name_only(self, settings, dns):
        settings.WEBHOOK_ALLOWED_NETWORKS = ["hooks.district.internal"]
        dns.names["hooks.district.internal"] = ["10.9.8.7"]
        dns.names["other.internal"] = ["10.9.8.7"]
        assert str(egress.check("https://hooks.district.internal/x").address) == "10.9.8.7"
        with pytest.raises(egress.Refused) as refused:
            egress.check("https://other.internal/x")
        assert "other.internal（10.9.8.7）" in str(refused.value)

    def test_every_address_of_a_name_is_checked(self, settings, dns):
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        dns.names["mixed.example"] = ["93.184.215.20", "10.0.0.5"]
        with pytest.raises(egress.Refused) as refused:
            egress.check("https://mixed.example/")
        assert "10.0.0.5" in str(refused.value)

    def test_a_chinese_domain_name_is_looked_up_and_sent_in_its_ascii_form(self, dns):
        dns.names["xn--fiqs8s.example"] = ["93.184.215.40"]
        target = egress.check("https://中国.example:8443/hook")
        assert (target.host, target.host_header) == (
            "xn--fiqs8s.example",
            "xn--fiqs8s.example:8443",
        )
        assert dns.lookups == ["xn--fiqs8s.example"]

    def test_a_name_that_does_not_resolve_or_a_url_with_credentials_is_refused(self):
        with pytest.raises(egress.Refused, match="无法解析主机名nowhere.example"):
            egress.check("https://nowhere.example/")
        with pytest.raises(egress.Refused, match="用户名或密码"):
            egress.check("https://user:pw@hooks.example.cn/")


@pytest.mark.django_db
class TestSaving:
    def test_the_page_explains_on_the_url_field_which_setting_allows_it(
        self, world, client_for, settings
    ):
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        response = client_for(world.tenant_admin).post(
            reverse("notifications:webhook_create"),
            {"name": "本机", "format": "standard", "url": "http://127.0.0.1:8000/hook"},
        )
        assert response.status_code == 400
        (message,) = response.context["form"].errors["url"]
        assert "127.0.0.1是本机回环地址" in message and SETTING in message
        assert 'data-field="url"' in response.content.decode()
        assert not WebhookEndpoint.objects.exists()

    def test_a_name_is_checked_by_what_it_resolves_to(self, world, settings, dns):
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        dns.names["grid.intranet.example"] = ["192.168.3.4"]
        with pytest.raises(ValidationError) as error:
            endpoint(world.street, "https://grid.intranet.example/hook")
        assert (
            "grid.intranet.example（192.168.3.4）是内网或专用地址"
            in (error.value.message_dict["url"][0])
        )
        settings.WEBHOOK_ALLOWED_NETWORKS = ["192.168.3.0/24"]
        assert endpoint(world.street, "https://grid.intranet.example/hook").pk

    def test_every_problem_is_reported_at_once(self, world, settings):
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        with pytest.raises(ValidationError) as error:
            services.webhook_endpoint_create(
                actor=world.tenant_admin,
                committee=world.street,
                data=services.EndpointData(
                    name="x", url="http://10.0.0.1/", format="fax", events=["nonsense"]
                ),
            )
        assert set(error.value.message_dict) == {"format", "url", "events"}


def pending_webhook(committee, key="e1"):
    """One webhook delivery written and committed, its queueing left undone."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        services.notify(
            tenant_id=committee.tenant_id,
            recipients=[],
            event="claim",
            title="t",
            key=key,
            committee=committee,
        )
    return Delivery.objects.get(key__endswith=f":{key}")


@pytest.mark.django_db
class TestSending:
    def test_the_address_is_checked_again_on_every_send(self, world, receiver, settings):
        endpoint(world.street, receiver.url + "/hook")  # allowed when saved
        settings.WEBHOOK_ALLOWED_NETWORKS = []  # then the operator withdraws it
        delivery = pending_webhook(world.street)
        assert services.delivery_send(delivery.pk) == "failed"
        delivery.refresh_from_db()
        assert receiver.count() == 0
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert delivery.last_error.startswith("127.0.0.1是本机回环地址")
        assert SETTING in delivery.last_error

        settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
        Delivery.objects.update(next_attempt_at=delivery.created_at)
        assert services.delivery_send(delivery.pk) == "sent" and receiver.count() == 1

    def test_the_endpoint_page_says_why_a_send_was_refused(
        self, world, receiver, settings, client_for
    ):
        hook = endpoint(world.street, receiver.url + "/hook")
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        services.delivery_send(pending_webhook(world.street).pk)
        html = client_for(world.tenant_admin).get(
            reverse("notifications:webhook_detail", args=[hook.pk])
        )
        text = html.content.decode()
        assert "127.0.0.1是本机回环地址" in text and SETTING in text

    def test_a_name_that_turns_private_after_saving_is_refused(
        self, world, receiver, dns, settings
    ):
        """DNS rebinding: a public answer when saved, loopback at the send."""
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        answers = iter([["93.184.215.30"]])
        dns.names["rebind.example"] = lambda: next(answers, ["127.0.0.1"])
        endpoint(world.street, f"http://rebind.example:{receiver.port}/hook")
        delivery = pending_webhook(world.street)
        assert services.delivery_send(delivery.pk) == "failed"
        delivery.refresh_from_db()
        assert "rebind.example（127.0.0.1）是本机回环地址" in delivery.last_error
        assert receiver.count() == 0

    def test_the_send_connects_to_the_address_it_checked_with_the_name_as_host(
        self, world, receiver, dns
    ):
        dns.names["hooks.internal"] = ["127.0.0.1"]
        endpoint(world.street, f"http://hooks.internal:{receiver.port}/hook?key=k")
        dns.lookups.clear()
        notify(committee=world.street, key="e1", recipients=[])
        (request,) = receiver.requests
        assert dns.lookups == ["hooks.internal"]  # once, by the check; the connection uses it
        assert request.headers["host"] == f"hooks.internal:{receiver.port}"
        assert request.path == "/hook" and request.query == {"key": "k"}

    def test_redirects_are_not_followed(self, world, receiver):
        endpoint(world.street, receiver.url + "/hook")
        receiver.answer(302, b"", {"Location": receiver.url + "/elsewhere"})
        delivery = pending_webhook(world.street)
        assert services.delivery_send(delivery.pk) == "failed"
        delivery.refresh_from_db()
        assert [r.path for r in receiver.requests] == ["/hook"]
        assert "HTTP 302" in delivery.last_error and "不跟随重定向" in delivery.last_error


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for hooks.internal, made by openssl."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=hooks.internal", "-addext", "subjectAltName=DNS:hooks.internal",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


def test_https_keeps_the_name_for_sni_and_the_certificate(certificate, dns, monkeypatch):
    key, cert = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    monkeypatch.setattr(egress, "tls_context", lambda: ssl.create_default_context(cafile=cert))
    dns.names["hooks.internal"] = ["127.0.0.1"]
    receiver = Receiver(tls=server_context).start()
    try:
        request = webhooks.Request(
            url=f"https://hooks.internal:{receiver.port}/hook", body=b"{}", headers={}
        )
        assert webhooks.post(request) == 200
        assert receiver.server_names == ["hooks.internal"]
        assert receiver.requests[0].headers["host"] == f"hooks.internal:{receiver.port}"
        # The certificate is checked, against the name: by address it does not match.
        with pytest.raises(ssl.SSLCertVerificationError):
            webhooks.post(webhooks.Request(url=receiver.url + "/hook", body=b"{}", headers={}))
    finally:
        receiver.stop()
