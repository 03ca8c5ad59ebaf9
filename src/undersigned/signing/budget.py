"""What a flood of starts costs: budgets of messages to mailboxes that do not confirm.

Every message a start sends counts, for its letter and for the client address that asked, in
a sliding window (common/ratelimit.py, in the cache: no count over rows on this hot path); a
confirmation from the address takes one back. Within both budgets a start only passes the
loose per-address rate limit, so a whole office behind one address signs at once. Past either,
each start must carry a solved proof-of-work challenge (signing/challenge.py): a browser solves
it in the background, an API client solves the one in the refusal. So strangers' mailboxes get
at most the budget's messages for free, and every message beyond costs the sender work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from undersigned.common.ratelimit import slide_add, slide_count
from undersigned.letters.models import Letter
from undersigned.signing.challenge import challenge_check
from undersigned.signing.mailbox import clean_address, normalize_mailbox

T = TypeVar("T")

_LETTER = "unconfirmed-letter"
_ADDRESS = "unconfirmed-address"


def _window() -> int:
    return int(settings.SIGNING_UNCONFIRMED_WINDOW_SECONDS)


def _over(on_letter: float, from_client: float) -> bool:
    return (
        on_letter > settings.SIGNING_UNCONFIRMED_PER_LETTER
        or from_client > settings.SIGNING_UNCONFIRMED_PER_ADDRESS
    )


@dataclass(frozen=True)
class Admission:
    """One start counted in both budgets; refund() if it sent nothing after all."""

    letter_id: int
    client: str

    def refund(self) -> None:
        slide_add(_LETTER, str(self.letter_id), -1, window=_window())
        slide_add(_ADDRESS, self.client, -1, window=_window())


def start_admit(*, letter_id: int, client: str, solution: str) -> Admission:
    """Count a start; past a budget, it passes only with a solved challenge (else 428).

    Counted before the check, so parallel starts cannot all see room for one more.
    """
    admission = Admission(letter_id=letter_id, client=client)
    on_letter = slide_add(_LETTER, str(letter_id), 1, window=_window())
    from_client = slide_add(_ADDRESS, client, 1, window=_window())
    if _over(on_letter, from_client):
        try:
            challenge_check(solution)
        except Exception:
            admission.refund()
            raise
    return admission


def admitted(*, letter_id: int, client: str, solution: str, action: Callable[[], T]) -> T:
    """Run a start that mails a mailbox within the budgets; a refused one is not counted."""
    admission = start_admit(letter_id=letter_id, client=client, solution=solution)
    try:
        return action()
    except Exception:
        admission.refund()
        raise


def challenge_due(*, letter_id: int, client: str) -> bool:
    """Whether the next start from this client for this letter will need a solved challenge."""
    return _over(
        slide_count(_LETTER, str(letter_id), window=_window()) + 1,
        slide_count(_ADDRESS, client, window=_window()) + 1,
    )


def confirmation_credit(*, letter_id: int | None, client: str, once: str) -> None:
    """A mailbox confirmed: one message fewer counts against the letter and the address.

    `once` names the confirmation (a receipt secret, say): repeats of it, which are answered
    again and again, give nothing back, or confirming one's own mailbox would refill the budget.
    """
    key = "budget-credit:" + salted_hmac("undersigned.signing.budget", once).hexdigest()
    if not cache.add(key, 1, timeout=_window() * 2):
        return
    if letter_id is not None:
        slide_add(_LETTER, str(letter_id), -1, window=_window())
    slide_add(_ADDRESS, client, -1, window=_window())


def withdrawal_once(letter: Letter, email: str) -> str:
    """What names a withdrawal by mailbox for confirmation_credit: one per mailbox and letter,
    however the address is written (a confirmed withdrawal had a valid one)."""
    return f"withdraw:{letter.pk}:{normalize_mailbox(clean_address(email))}"
