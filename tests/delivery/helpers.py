"""A DeliveryDocument with every part filled in, for tests of the PDF alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from undersigned.delivery.pdf import AddendumRef, DeliveryDocument, LetterText, Signatory

ARABIC_TITLE = "ألغوا العقد"
ARABIC_LINE = "نحن الموقعين أدناه نطالب بإلغاء العقد"
ROOT = "q2xvbG8gd29ybGQgcm9vdCBoYXNoIGJhc2U2NCBoZXJlIT0="
CHECKPOINT = f"testserver/l/demo\n21\n{ROOT}\n\n— testserver/l/demo AAAAAQ3s+sig==\n"


def document(**changes: Any) -> DeliveryDocument:
    base = DeliveryDocument(
        slug="demo",
        recipient_name="The CEO",
        delivered_on=date(2025, 3, 1),
        letter_url="http://testserver/l/demo/",
        texts=[
            LetterText(
                "en",
                False,
                "Cancel the contract",
                "We, the undersigned, ask **leadership** to act.\n\n- one\n- two\n",
                ("Cancel all active offers", "Publish what we sell"),
            ),
            LetterText("ar", True, ARABIC_TITLE, ARABIC_LINE, ("مطلب أول", "مطلب ثان")),
        ],
        addenda=[AddendumRef("Contract summary", "en", "ab" * 32, 1234)],
        tier_counts=[("Public", 2), ("Recipient only", 1), ("Counted only", 3), ("Anonymous", 4)],
        total=10,
        threshold=5,
        departments=[("Engineering", 6)],
        small_groups=2,
        checkpoint=CHECKPOINT,
        log_url="http://testserver/l/demo/log/",
        vkey="testserver/l/demo+abcdef01+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
        signatories=[
            Signatory("Ada Lovelace", "Engineer", "Engineering", "London", public=True),
            Signatory("Grace Hopper", "", "Engineering", "", public=True),
            Signatory("Rosalind Franklin", "Chemist", "", "", public=False),
        ],
    )
    return replace(base, **changes)


def letter_with_every_tier(**extra: Any) -> Any:
    """An open letter with an Arabic translation and one signer of each tier, signed for real.

    Names: "Ada Lovelace" (public), "Grace Hopper" (recipient only); the counted signer asked
    for "Counted Canary" and the anonymous one has no name at all.
    """
    from tests.signing.anonymous_helpers import token_by_email
    from tests.signing.helpers import outbox_code
    from tests.support.factories import make_letter
    from undersigned.signing import services
    from undersigned.signing.inputs import clean_signer

    letter = make_letter(arabic=True, **extra)
    people = [
        ("ada@example.org", "public", "Ada Lovelace", "Engineering", True),
        ("grace@example.org", "recipient", "Grace Hopper", "Engineering", False),
        ("counted@example.org", "counted", "Counted Canary", "Engineering", True),
    ]
    for email, tier, name, department, updates in people:
        fields = {"name": name, "title": "", "department": department, "location": ""}
        details = clean_signer(tier=tier, fields=fields)  # type: ignore[arg-type]
        services.signing_start(
            letter=letter, email=email, details=details, updates=updates, language="en"
        )
        services.signing_confirm(letter=letter, email=email, code=outbox_code(email))
    token = token_by_email(letter, "anon@example.org")
    services.anonymous_signature_redeem(letter=letter, token=token)
    return letter
