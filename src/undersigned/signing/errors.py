"""The refusals of the signing services, one subclass per machine code (common/errors.py)."""

from __future__ import annotations

import math
from typing import Any

from undersigned.common.errors import ServiceError


class SigningError(ServiceError):
    """Any refusal of a signing service.

    `retry_after` (seconds) becomes a Retry-After header; `extra` adds keys to an API error
    body beside "error" (a challenge to solve, say).
    """

    retry_after: int | None = None

    def after(self, seconds: float) -> SigningError:
        """This refusal, saying when trying again can succeed."""
        self.retry_after = max(1, math.ceil(seconds))
        return self

    def extra(self) -> dict[str, Any]:
        return {}


class Closed(SigningError):
    status, code = 409, "letter_closed"
    message = "This letter is not accepting signatures now."


class InvalidCode(SigningError):
    status, code = 400, "invalid_code"
    message = (
        "This code is wrong, has expired, or was tried too many times. "
        "Check the latest message we sent, or start again to get a new code. "
        "If you already confirmed and lost your receipt, your signature still counts: "
        'to withdraw it, choose "Withdraw a signature" on the letter\'s page and use your '
        "work email."
    )


class AlreadySigned(SigningError):
    status, code = 409, "already_signed"
    message = (
        "This mailbox has already signed this letter. Its receipt was shown when it was first "
        "confirmed. A mailbox signs once, and a withdrawn signature cannot be given again. "
        'To withdraw the signature, choose "Withdraw a signature" on the letter\'s page and '
        "use your work email."
    )


class TooManyMessages(SigningError):
    status, code = 429, "too_many_messages"
    message = (
        "We have sent several messages to this mailbox in the last hour, and the code in the "
        "latest one still works: please use it (or its link)."
    )


class RateLimited(SigningError):
    status, code = 429, "rate_limited"
    message = "Too many attempts from your network. Please wait a few minutes and try again."


class ChallengeRequired(SigningError):
    """A start that must first show a solved proof-of-work challenge (signing/challenge.py)."""

    status, code = 428, "challenge_required"
    message = (
        "Many messages went out lately to mailboxes that did not confirm, so each new request "
        "needs a short check from your device first. Your browser does it on its own: wait "
        "until it says it is done, then send the form again."
    )

    def __init__(self, challenge: dict[str, Any]) -> None:
        super().__init__()
        self.challenge = challenge

    def extra(self) -> dict[str, Any]:
        return {"challenge": self.challenge}


class ChallengeFailed(ChallengeRequired):
    code = "challenge_failed"
    message = (
        "The check your device sent was wrong, expired or already used. A new one is ready: "
        "wait until your browser says it is done, then send the form again."
    )


class UnknownInvite(SigningError):
    status, code = 400, "unknown_invite_code"
    message = "This invite code is not valid for this letter. Check it against your slip."


class UsedInvite(SigningError):
    status, code = 409, "invite_code_used"
    message = "This invite code has already been used."


class InvalidLink(SigningError):
    status, code = 404, "invalid_link"
    message = (
        "This link has expired or is not valid. Start again to get a new one. If you already "
        "confirmed and lost your receipt, your signature still counts: to withdraw it, choose "
        '"Withdraw a signature" on the letter\'s page and use your work email.'
    )


class UnknownReceipt(SigningError):
    status, code = 404, "unknown_receipt"
    message = "No signature on this letter has this receipt. Copy it exactly as it was shown."


class NothingToWithdraw(SigningError):
    status, code = 409, "nothing_to_withdraw"
    message = "There is no active signature to withdraw: it was already withdrawn or removed."


class InvalidTokenRequest(SigningError):
    status, code = 422, "invalid_token_request"
    message = (
        "This is not a token request for this letter's key. Reload the signing page (or run "
        "`undersigned sign` again) so it uses the letter's current key."
    )


class InvalidToken(SigningError):
    status, code = 422, "invalid_token"
    message = "This is not a valid anonymous token. Copy it exactly as it was shown, in one piece."


class TokenForAnotherLetter(SigningError):
    status, code = 422, "token_for_another_letter"
    message = (
        "This token was issued for another letter (or under another key): it can only sign the "
        "letter it was made for."
    )


class TokenUsed(SigningError):
    status, code = 409, "token_used"
    message = "This token has already been used to sign. Each token signs once."


class AnonymousCode(SigningError):
    status, code = 409, "code_for_anonymous"
    message = (
        "This code was sent for an anonymous signature. Enter it on the anonymous signing page, "
        "where your browser makes the token, or use `undersigned sign --anonymous`."
    )


class NamedCode(SigningError):
    status, code = 409, "code_for_named"
    message = (
        "This code was sent for a signature with your name or department. To sign anonymously, "
        "start again from the anonymous signing page: a new code will be sent."
    )


class AnonymousUnavailable(SigningError):
    status, code = 409, "anonymous_unavailable"
    message = "This letter no longer issues or accepts anonymous tokens."


class InviteForToken(SigningError):
    status, code = 422, "invite_code_for_token"
    message = (
        "To sign anonymously with an invite code, your browser (or `undersigned sign`) sends it "
        "with a token request to POST .../tokens, on the anonymous signing page."
    )


class NoUpdatesWhenAnonymous(SigningError):
    status, code = 422, "no_updates_when_anonymous"
    message = (
        "Updates by email are not offered with anonymous signatures: we would have to keep your "
        "address. Follow the letter's public page instead."
    )


class LetterAmended(SigningError):
    status, code = 409, "letter_amended"
    message = (
        "The letter was changed after you started signing. Please read the new version, "
        "then sign again: a signature counts for the text its signer read."
    )


class NothingToReconfirm(SigningError):
    status, code = 404, "nothing_to_reconfirm"
    message = (
        "There is no signature to confirm with this link: it was withdrawn, confirmed for "
        "the new version already, or the link is not complete."
    )
