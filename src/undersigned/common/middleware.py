"""Request plumbing that the threat model depends on: who the client is, and what pages may load."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(value: str) -> _Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: _Address | None) -> bool:
    return address is not None and any(address in net for net in settings.TRUSTED_PROXIES)


def client_address(remote_addr: str, forwarded_for: str) -> str:
    """The first address, from the right, that is not a trusted proxy.

    X-Forwarded-For is read only when the direct peer is a configured proxy, and then only back
    to the first hop that is not one, so a client cannot forge its way past rate limits.
    """
    peer = _parse(remote_addr)
    if peer is None:
        return "unknown"
    if not _trusted(peer):
        return str(peer)
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A malformed hop written by the client: stop at the last address we can vouch for.
            return str(peer)
        if not _trusted(address):
            return str(address)
        peer = address
    return str(peer)


class ClientAddressMiddleware:
    """Sets request.client_address; drops proxy headers that an untrusted peer sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        remote = request.META.get("REMOTE_ADDR", "")
        if not _trusted(_parse(remote)):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
            request.META.pop("HTTP_X_FORWARDED_HOST", None)
        request.client_address = client_address(  # type: ignore[attr-defined]  # our attribute
            remote, request.META.get("HTTP_X_FORWARDED_FOR", "")
        )
        return self.get_response(request)


# Pages load nothing from elsewhere: no CDN, fonts, analytics. Inline script is not allowed either.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "interest-cohort=(), browsing-topics=()")
        return response
