"""`undersigned deliver SLUG`: deliver a letter now, by the same path as a scheduled delivery."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.delivery.models import Delivery
from undersigned.delivery.services import delivery_claim, delivery_perform, delivery_request
from undersigned.letters.models import Letter


class Command(BaseCommand):
    help = (
        "Close a letter, build its PDF from the latest checkpoint of its log, email the "
        "recipient's copy and publish the public one. A letter is delivered once; repeating "
        "this says so."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        letter = Letter.objects.filter(slug=options["slug"]).first()
        if letter is None:
            raise CommandError(f"There is no letter {options['slug']!r}.")
        try:
            delivery = delivery_request(letter=letter, user=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        claim = delivery_claim(delivery_id=delivery.pk)
        if claim is None:
            raise CommandError("A worker is delivering this letter right now; try again shortly.")
        if not delivery_perform(claim=claim):
            reason = Delivery.objects.get(pk=delivery.pk).last_error
            raise CommandError(f"The delivery failed; the worker will try again: {reason}")
        done = Delivery.objects.get(pk=delivery.pk)
        self.stdout.write(f"Delivered {letter.slug} to {letter.recipient_name}.")
        self.stdout.write(f"Public PDF SHA-256: {done.pdf_sha256}")
        self.stdout.write(f"Recipient's PDF SHA-256: {done.recipient_pdf_sha256}")
