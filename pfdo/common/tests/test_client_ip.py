"""The client's address behind proxies (pfdo/common/clientip.py): X-Forwarded-For is believed
only from a trusted proxy, read from the right; rate limits, the lockout and the action
history count by that address."""

from __future__ import annotations

import pytest
from axes.helpers import get_client_ip_address
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from pfdo.audit.models import ActionLog
from pfdo.common.clientip import client_ip

PROXY = "10.0.0.5"
RESET = reverse("accounts:password_reset")


def request(remote: str | None, forwarded: str | None = None):
    meta = {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    made = RequestFactory().get("/", **meta)
    if remote is None:
        del made.META["REMOTE_ADDR"]
    else:
        made.META["REMOTE_ADDR"] = remote
    return made


@pytest.fixture
def proxies(settings):
    def trust(*entries: str):
        settings.PFDO_TRUSTED_PROXIES = list(entries)

    return trust


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert settings.PFDO_TRUSTED_PROXIES == []  # the default
    assert client_ip(request("192.0.2.1", "203.0.113.9")) == "192.0.2.1"
    assert client_ip(request(None, "203.0.113.9")) is None


def test_from_a_trusted_proxy_the_right_most_address_is_the_client(proxies):
    proxies(PROXY)
    assert client_ip(request(PROXY, "203.0.113.9")) == "203.0.113.9"
    # What the client wrote itself stands left of what the proxy appended: never believed.
    assert client_ip(request(PROXY, "1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_a_request_not_from_a_proxy_cannot_choose_its_address(proxies):
    proxies(PROXY)
    assert client_ip(request("192.0.2.1", "203.0.113.9")) == "192.0.2.1"


def test_a_chain_of_trusted_proxies_is_walked_past(proxies):
    proxies("10.0.0.0/8", "2001:db8::/32")
    assert client_ip(request(PROXY, "1.1.1.1, 203.0.113.9, 10.1.1.1, 10.2.2.2")) == "203.0.113.9"
    assert client_ip(request("2001:db8::7", "[2001:db8::9]:443, 198.51.100.3:5000")) == (
        "198.51.100.3"
    )
    # Every hop one of ours: the farthest one is the best we know.
    assert client_ip(request(PROXY, "10.9.9.9, 10.1.1.1")) == "10.9.9.9"
    # No header at all: the proxy itself.
    assert client_ip(request(PROXY)) == PROXY


def test_garbage_in_the_header_stops_at_the_last_address_vouched_for(proxies):
    proxies("10.0.0.0/8")
    assert client_ip(request(PROXY, "203.0.113.9, not-an-address")) == PROXY
    assert client_ip(request(PROXY, "not-an-address, 10.1.1.1")) == "10.1.1.1"


@pytest.mark.django_db
def test_the_login_lockout_counts_by_the_same_address(proxies):
    proxies(PROXY)
    assert get_client_ip_address(request(PROXY, "203.0.113.9")) == "203.0.113.9"
    assert get_client_ip_address(request("192.0.2.1", "203.0.113.9")) == "192.0.2.1"


@pytest.mark.django_db
def test_rate_limits_count_each_client_behind_the_proxy(settings, proxies, make_user):
    proxies(PROXY)
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "password_reset_ip": "2/3600"}
    make_user(email="mama@example.org")
    behind = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for email in ("mama@example.org", "papa@example.org"):
        assert behind.post(RESET, {"email": email}).status_code == 302
    assert behind.post(RESET, {"email": "baba@example.org"}).status_code == 429
    (row,) = ActionLog.objects.filter(action="rate_limited", details__limit="password_reset_ip")
    assert row.ip == "203.0.113.9"
    # Another family behind the same proxy is not affected, nor can the first one dodge the
    # limit by writing its own header: the proxy appends the address it saw on the right.
    neighbour = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.3")
    assert neighbour.post(RESET, {"email": "mama@example.org"}).status_code == 302
    dodging = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.9")
    assert dodging.post(RESET, {"email": "deda@example.org"}).status_code == 429
    assert len(mail.outbox) == 2  # the letters to the one known address


@pytest.mark.django_db
def test_without_trusted_proxies_the_proxy_is_one_client(settings, make_user):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "password_reset_ip": "1/3600"}
    make_user(email="mama@example.org")
    first = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert first.post(RESET, {"email": "mama@example.org"}).status_code == 302
    second = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.3")
    assert second.post(RESET, {"email": "papa@example.org"}).status_code == 429
