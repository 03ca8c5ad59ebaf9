from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from undersigned.common.middleware import (
    CONTENT_SECURITY_POLICY,
    ClientAddressMiddleware,
    SecurityHeadersMiddleware,
    client_address,
)

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]


@pytest.fixture
def proxies(settings: Any) -> None:
    settings.TRUSTED_PROXIES = PROXIES


def test_client_address_without_proxies_is_the_peer(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_address("203.0.113.9", "198.51.100.1") == "203.0.113.9"


@pytest.mark.usefixtures("proxies")
def test_client_address_forged_header_from_untrusted_peer_ignored() -> None:
    assert client_address("203.0.113.9", "10.0.0.1, 198.51.100.1") == "203.0.113.9"


@pytest.mark.usefixtures("proxies")
def test_client_address_trusted_proxy_gives_forwarded_client() -> None:
    assert client_address("10.0.0.2", "198.51.100.7") == "198.51.100.7"


@pytest.mark.usefixtures("proxies")
def test_client_address_forged_leftmost_hops_ignored() -> None:
    # The client wrote "1.2.3.4, 10.9.9.9"; our proxy appended the address it really saw.
    assert client_address("10.0.0.2", "1.2.3.4, 10.9.9.9, 198.51.100.7") == "198.51.100.7"


@pytest.mark.usefixtures("proxies")
def test_client_address_chain_of_trusted_proxies() -> None:
    assert client_address("10.0.0.2", "198.51.100.7, 10.1.1.1, 10.2.2.2") == "198.51.100.7"


@pytest.mark.usefixtures("proxies")
def test_client_address_malformed_hop_stops_at_last_trusted() -> None:
    assert client_address("10.0.0.2", "198.51.100.7, not-an-ip, 10.1.1.1") == "10.1.1.1"


@pytest.mark.usefixtures("proxies")
def test_client_address_all_hops_trusted_gives_leftmost_proxy() -> None:
    assert client_address("10.0.0.2", "10.3.3.3, 10.1.1.1") == "10.3.3.3"


@pytest.mark.usefixtures("proxies")
def test_client_address_trusted_proxy_without_header_is_the_proxy() -> None:
    assert client_address("10.0.0.2", "") == "10.0.0.2"


@pytest.mark.usefixtures("proxies")
def test_client_address_ipv6() -> None:
    assert client_address("fd00::1", "2001:db8::5") == "2001:db8::5"


@pytest.mark.parametrize("remote", ["", "garbage", "999.1.1.1"])
def test_client_address_unparseable_peer_is_unknown(remote: str) -> None:
    assert client_address(remote, "198.51.100.7") == "unknown"


def run_client_middleware(request: HttpRequest) -> HttpRequest:
    seen: list[HttpRequest] = []

    def view(inner: HttpRequest) -> HttpResponse:
        seen.append(inner)
        return HttpResponse("ok")

    ClientAddressMiddleware(view)(request)
    return seen[0]


@pytest.mark.usefixtures("proxies")
def test_middleware_untrusted_peer_loses_proxy_headers() -> None:
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    seen = run_client_middleware(request)
    assert (
        seen.client_address,  # type: ignore[attr-defined]
        seen.META.get("HTTP_X_FORWARDED_PROTO"),
        seen.META.get("HTTP_X_FORWARDED_HOST"),
    ) == ("203.0.113.9", None, None)


@pytest.mark.usefixtures("proxies")
def test_middleware_trusted_peer_keeps_proxy_headers() -> None:
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
        HTTP_X_FORWARDED_PROTO="https",
    )
    seen = run_client_middleware(request)
    assert (seen.client_address, seen.META.get("HTTP_X_FORWARDED_PROTO")) == (  # type: ignore[attr-defined]
        "198.51.100.1",
        "https",
    )


def test_security_headers_set_csp() -> None:
    response = SecurityHeadersMiddleware(lambda request: HttpResponse("x"))(
        RequestFactory().get("/")
    )
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_security_headers_keep_a_stricter_csp_from_the_view() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "sandbox"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "sandbox"


def test_content_security_policy_allows_nothing_from_elsewhere() -> None:
    directives = dict(item.split(" ", 1) for item in CONTENT_SECURITY_POLICY.split("; "))
    assert (directives["script-src"], directives["style-src"], directives["object-src"]) == (
        "'self'",
        "'self'",
        "'none'",
    )
