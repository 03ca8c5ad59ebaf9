"""The public copy of the delivered PDF, for anyone who can read the letter.

It names only public-tier signers; the recipient's copy is never served (delivery/document.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from undersigned.accounts.permissions import access_public_letter
from undersigned.delivery.selectors import delivered_pdf


@require_safe
def pdf(request: HttpRequest, slug: str) -> HttpResponseBase:
    letter = access_public_letter(slug=slug)
    content, sha256 = delivered_pdf(letter=letter)
    etag = f'"{sha256}"'
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"{letter.slug}.pdf"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["ETag"] = etag
    # The public copy never changes: its hash is in the public log.
    response["Cache-Control"] = "public, max-age=86400, immutable"
    return get_conditional_response(request, etag=etag, response=response) or response
