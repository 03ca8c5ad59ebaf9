"""The demo's sample data, made through the same services the dashboard uses."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from undersigned.accounts.models import User
from undersigned.accounts.services import organizer_create
from undersigned.campaign import letters as services
from undersigned.letters.models import AddendumKind, Letter
from undersigned.letters.states import State

DEMO_ORGANIZER = "organizer@example.org"

BODY_EN = """\
To the leadership team,

We are engineers, designers, researchers and support staff at this company. We are proud of what
we build, and we want to keep being proud of it. That is why we are writing to you in the open.

Our work is being sold to an agency whose operations we believe cause serious harm. We ask you to
stop, and to tell us, and the public, what has been sold so far.

*Signatures are verified: every signatory holds a mailbox at our company, and each signed once.*
"""

BODY_AR = """\
إلى فريق القيادة،

نحن مهندسون ومصممون وباحثون وموظفو دعم في هذه الشركة. نفخر بما نبنيه، ونريد أن نبقى فخورين به.
لهذا نكتب إليكم علنًا.

يُباع عملنا إلى جهة نعتقد أن عملياتها تُلحق ضررًا جسيمًا. نطلب منكم التوقف، وإخبارنا وإخبار
الجمهور بما بيع حتى الآن.
"""

DEMANDS = [
    ("Cancel all active offers to the agency.", "إلغاء جميع العروض القائمة للجهة."),
    ("Publish which services we sell to it.", "نشر الخدمات التي نبيعها لها."),
    (
        "Pause the infrastructure that scales its operations.",
        "إيقاف البنية التحتية التي توسّع عملياتها.",
    ),
]

ADDENDUM = """\
# Background

This addendum collects the public sources the letter relies on: contract notices, the agency's own
procurement documents, and press reports. Each source is listed with the date we retrieved it.
"""


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str


@transaction.atomic
def seed_demo() -> DemoLogin:
    """Create (or refresh) the organizer and the sample letter `demo`; safe to run again."""
    password = secrets.token_urlsafe(9)
    organizer = User.objects.filter(email=DEMO_ORGANIZER).first()
    if organizer is None:
        organizer = organizer_create(
            email=DEMO_ORGANIZER, password=password, display_name="Demo organizer"
        )
    else:
        # A fresh password each run, so the printed login always works.
        organizer.set_password(password)
        organizer.save(update_fields=["password"])
    if not Letter.objects.filter(slug="demo").exists():
        _seed_letter(organizer)
    return DemoLogin(email=DEMO_ORGANIZER, password=password)


def _seed_letter(organizer: User) -> None:
    now = timezone.now()
    letter = services.letter_create(
        user=organizer,
        slug="demo",
        default_language="en",
        title="Stop selling our work to the agency",
        body=BODY_EN,
        recipient_name="The Chief Executive",
        recipient_email="ceo@example.org",
        domains=["example.org"],
        goal=500,
        deadline=now + timedelta(days=14),
        deliver_at=now + timedelta(days=14, hours=1),
    )
    demands = [services.demand_add(letter=letter, texts={"en": en}) for en, _ in DEMANDS]
    services.letter_text_set(
        letter=letter,
        language="ar",
        title="أوقفوا بيع عملنا للجهة",
        body=BODY_AR,
        demands={demand.pk: ar for demand, (_, ar) in zip(demands, DEMANDS, strict=True)},
    )
    services.addendum_add(
        letter=letter,
        title="Background and sources",
        language="en",
        kind=AddendumKind.MARKDOWN,
        markdown=ADDENDUM,
    )
    services.letter_transition(letter=letter, target=State.OPEN, user=organizer)
