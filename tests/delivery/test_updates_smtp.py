"""An update leaves through the real worker and a real SMTP server, with one-click unsubscribe."""

from __future__ import annotations

import threading

import pytest
from django.test import Client

from tests.delivery.updates_helpers import letter_in, subscribe, texts
from tests.support.factories import make_organizer
from tests.support.smtp import SmtpSink
from undersigned.campaign.worker import run_worker
from undersigned.delivery.services import update_send
from undersigned.mail.models import OutboxMessage, OutboxState
from undersigned.signing.codes import signature_link_token
from undersigned.signing.models import Signature

# The worker loop closes old connections, which a test wrapped in a transaction cannot survive.
pytestmark = pytest.mark.django_db(transaction=True)


def test_update_sent_over_smtp_with_unsubscribe_headers_and_arabic_frame(smtp: SmtpSink) -> None:
    letter = letter_in("en", "ar")
    english = subscribe(letter, "ana@example.org")
    arabic = subscribe(letter, "ali@example.org", "ar")
    written = texts(en=("Delivered", "It is done."), ar=("تم التسليم", "انتهى الأمر."))
    update_send(letter=letter, user=make_organizer(), texts=written)

    run_worker(stop=threading.Event(), once=True)

    [to_ana], [to_ali] = smtp.wait_for("ana@example.org"), smtp.wait_for("ali@example.org")
    url = f"http://testserver/l/{letter.slug}/unsubscribe/"
    ana_url = f"{url}{signature_link_token(english.pk, 'unsubscribe')}/?lang=en"
    ali_url = f"{url}{signature_link_token(arabic.pk, 'unsubscribe')}/?lang=ar"
    assert [
        (m.subject, str(m.message["List-Unsubscribe"]).strip(),
         str(m.message["List-Unsubscribe-Post"]), m.link("/unsubscribe/"))
        for m in (to_ana, to_ali)
    ] == [
        ("Delivered", f"<{ana_url}>", "List-Unsubscribe=One-Click", ana_url),
        ("تم التسليم", f"<{ali_url}>", "List-Unsubscribe=One-Click", ali_url),
    ]  # fmt: skip
    assert to_ali.text().splitlines()[:3] == [
        "مرحبًا،",
        "",
        "يرسل منظّمو الرسالة المفتوحة «ألغوا العقد»، التي وقّعتَ عليها، هذا التحديث:",
    ]
    assert '<html lang="ar" dir="rtl">' in to_ali.html()
    assert "<p>انتهى الأمر.</p>" in to_ali.html()
    # Sent rows keep no address and no content.
    assert list(OutboxMessage.objects.values_list("state", "recipients", "message")) == [
        (OutboxState.SENT, [], b""),
        (OutboxState.SENT, [], b""),
    ]

    # What a mail client's one-click button does with the header.
    one_click = Client(enforce_csrf_checks=True).post(
        ana_url.removeprefix("http://testserver"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    assert list(Signature.objects.filter(updates_address__isnull=False)) == [arabic]
