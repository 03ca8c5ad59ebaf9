"""Letters, their translations, demands and addenda."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models
from django.utils import timezone

from undersigned.common.keys import Wrapping
from undersigned.letters.states import State

LANGUAGES: dict[str, str] = {
    "en": "English",
    "ar": "العربية",
    "de": "Deutsch",
    "es": "Español",
    "fa": "فارسی",
    "fr": "Français",
    "he": "עברית",
    "hi": "हिन्दी",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ru": "Русский",
    "tr": "Türkçe",
    "uk": "Українська",
    "ur": "اردو",
    "zh": "中文",
}
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
LANGUAGE_CHOICES = list(LANGUAGES.items())


# Mailbox keys are stored only wrapped under SECRET_KEY (common/keys.py): with the database alone,
# nobody can recompute a mailbox hash and so tie a signature to a person (docs/threat-model.md).
MAILBOX_KEYS = Wrapping("mailbox-key")


def new_mailbox_key() -> bytes:
    """A fresh 32-byte HMAC key, as stored: wrapped."""
    return MAILBOX_KEYS.wrap(secrets.token_bytes(32))


def mailbox_key_of(letter: Letter) -> bytes | None:
    """The letter's HMAC key for mailbox hashes, unwrapped; None once it was destroyed.

    The one reader of `Letter.mailbox_key`: nothing else may use the stored value as a key.
    """
    if letter.mailbox_key is None:
        return None
    return MAILBOX_KEYS.unwrap(bytes(letter.mailbox_key))


class Letter(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    default_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    recipient_name = models.CharField(max_length=200)
    recipient_email = models.EmailField(max_length=254)
    # Lower-case domains whose mailboxes may sign, e.g. ["example.org"].
    domains = models.JSONField(default=list)
    goal = models.PositiveIntegerField(default=100)
    opens_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    deliver_at = models.DateTimeField(null=True, blank=True)
    breakdown_threshold = models.PositiveSmallIntegerField(default=5)
    # HMAC key for mailbox hashes, wrapped (read it with mailbox_key_of); destroyed when the
    # letter is archived (docs/design.md 4e).
    mailbox_key = models.BinaryField(null=True, default=new_mailbox_key)
    # The text's version: 1 when opened, one more for each amendment (letters/versions.py).
    version = models.PositiveIntegerField(default=1)
    created_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return self.slug

    @property
    def is_rtl(self) -> bool:
        return self.default_language in RTL_LANGUAGES


class LetterText(models.Model):
    """Title and body in one language; the letter's default language has one too."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=50_000)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "language"], name="one_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.letter_id}/{self.language}"


class Demand(models.Model):
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="demands")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering: ClassVar = ["position", "id"]

    def __str__(self) -> str:
        return f"demand {self.position} of {self.letter_id}"


class DemandText(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES)
    text = models.CharField(max_length=1000)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["demand", "language"], name="one_demand_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]


class AddendumKind(models.TextChoices):
    MARKDOWN = "markdown", "Text (Markdown)"
    PDF = "pdf", "PDF document"


class Addendum(models.Model):
    """A supporting document. Stored in the database so every web process serves the same bytes.

    A translation is an addendum in another language that points at the original.
    """

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="addenda")
    position = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES)
    translation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="translations"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=AddendumKind.choices)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering: ClassVar = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class LetterVersion(models.Model):
    """The text of one version of an open letter, kept when an amendment replaces it.

    `snapshot` holds the titles, bodies and demands of every language, exactly as signed;
    `text_hash` is the hash the log published for it (genesis or amendment entry).
    """

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    text_hash = models.CharField(max_length=64)
    # What the organizers say changed, shown on the page and sent to subscribers.
    note = models.CharField(max_length=500, blank=True)
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering: ClassVar = ["number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "number"], name="one_row_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} v{self.number}"


class Milestone(models.TextChoices):
    GOAL_25 = "goal_25", "25% of the goal"
    GOAL_50 = "goal_50", "50% of the goal"
    GOAL_75 = "goal_75", "75% of the goal"
    GOAL_100 = "goal_100", "The goal"
    DEADLINE_24H = "deadline_24h", "24 hours before the deadline"


class MilestoneNotice(models.Model):
    """A milestone the organizers were told about; the unique constraint makes it once only."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="+")
    milestone = models.CharField(max_length=16, choices=Milestone.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["letter", "milestone"], name="one_notice_per_milestone")
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.milestone}"
