"""Signing pages (placeholder until the signing flow lands)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from undersigned.accounts.permissions import access_public_letter


def start(request: HttpRequest, slug: str) -> HttpResponse:
    letter = access_public_letter(slug=slug)
    return render(request, "signing/start.html", {"letter": letter})
