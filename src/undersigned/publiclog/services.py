"""Changing a letter's public log: open it, queue entries, accept witness cosignatures.

The enqueue functions only write a PendingEntry, inside the caller's transaction, so a signature
and its log entry commit (or vanish) together; the sequencer (publiclog/sequencer.py) later puts
queued entries into the tree. Entry formats are in crypto/logentries.py and docs/log.md.

The log knows nothing of its callers: it takes entry bytes built with crypto/logentries.py and
plain ids, never a signature row, so signing sits above it and not beside it.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from undersigned.common.errors import ServiceError
from undersigned.common.pagecache import letter_changed
from undersigned.common.text import clean_text
from undersigned.crypto import logentries
from undersigned.crypto.merkle import EMPTY_ROOT, leaf_hash
from undersigned.crypto.note import (
    Checkpoint,
    NoteError,
    NoteSignature,
    format_note,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
    verifier_from_vkey,
)
from undersigned.letters.models import Letter
from undersigned.letters.versions import letter_text_hash
from undersigned.publiclog.keys import log_origin, new_signer
from undersigned.publiclog.models import Entry, EntryKind, LogState, PendingEntry
from undersigned.publiclog.selectors import log_url

logger = logging.getLogger(__name__)

MAX_COSIGNATURES = 16

# How a log opened on the way (by a first signature, an amendment or a delivery) finds the
# letter's anonymous-token issuance key and challenge: the caller knows where they are kept.
GenesisKeys = Callable[[], tuple[bytes | None, bytes | None]]


@dataclass(frozen=True)
class LogReceipt:
    """What a signer keeps to prove their entry: its exact bytes and its leaf hash."""

    entry: bytes
    leaf_hash: bytes
    log_url: str

    def as_dict(self) -> dict[str, str]:
        """The receipt keys the API returns: entry (JSON text), leaf_hash (hex), log_url."""
        return {
            "entry": self.entry.decode("utf-8"),
            "leaf_hash": self.leaf_hash.hex(),
            "log_url": self.log_url,
        }


class CosignatureRejected(ServiceError):
    """A submitted cosignature is malformed, from an unknown witness, or does not verify."""

    status, code = 422, "cosignature_rejected"


def log_open(
    *, letter: Letter, issuance_key: bytes | None = None, token_challenge: bytes | None = None
) -> LogState:
    """Create the letter's log key and queue its genesis entry; a no-op if the log exists.

    The genesis entry carries the letter's anonymous-token issuance key, when given (signing
    opens the log with it: signing/services/anonymous.py). A log opened before its letter had a
    key gets it
    added to the genesis entry as long as that entry is still queued; once in the log, the
    genesis cannot change, and the error is logged (tokens of that letter would not verify).
    """
    with transaction.atomic():
        existing = LogState.objects.filter(letter=letter).first()
        if existing is not None:
            if issuance_key is not None and token_challenge is not None:
                _add_issuance_key(existing, issuance_key, token_challenge)
            return existing
        origin = log_origin(letter.slug)
        signer, encrypted = new_signer(origin)
        genesis = logentries.letter_entry(
            date=timezone.localdate(),
            text_hash=letter_text_hash(letter=letter),
            domains=list(letter.domains),
            issuance_key=issuance_key,
            token_challenge=token_challenge,
        )
        empty = Checkpoint(origin, 0, EMPTY_ROOT)
        try:
            # A savepoint: two first signatures racing to open the log both end up using one.
            with transaction.atomic():
                state = LogState.objects.create(
                    letter=letter,
                    origin=origin,
                    signing_key=encrypted,
                    vkey=signer.verifier().vkey,
                    root=EMPTY_ROOT,
                    counts=dict.fromkeys(logentries.TIERS, 0),
                    checkpoint=sign_checkpoint(empty, [signer]),
                )
                _queue(letter, EntryKind.LETTER, genesis)
        except IntegrityError:
            return LogState.objects.get(letter=letter)
        return state


def _add_issuance_key(state: LogState, issuance_key: bytes, token_challenge: bytes) -> None:
    wanted = (base64.b64encode(issuance_key).decode(), base64.b64encode(token_challenge).decode())
    row = PendingEntry.objects.select_for_update().filter(
        letter_id=state.letter_id, kind=EntryKind.LETTER
    )
    pending = row.first()
    data = bytes(pending.data or b"") if pending is not None else _integrated_genesis(state)
    body = dict(logentries.parse_entry(data).body or {})
    if (body["issuance_key"], body["token_challenge"]) == wanted:
        return
    if pending is None or body["issuance_key"] is not None:
        logger.error("log %s: its genesis entry has another issuance key", state.origin)
        return
    genesis = logentries.letter_entry(
        date=date.fromisoformat(body["date"]),
        text_hash=body["text_hash"],
        domains=body["domains"],
        issuance_key=issuance_key,
        token_challenge=token_challenge,
    )
    row.update(data=genesis, leaf_hash=leaf_hash(genesis).hex())


def _integrated_genesis(state: LogState) -> bytes:
    data = Entry.objects.filter(letter_id=state.letter_id, index=0).values_list("data", flat=True)
    return bytes(data[0])


def _queue(letter: Letter, kind: str, data: bytes, **extra: object) -> PendingEntry:
    return PendingEntry.objects.create(
        letter=letter, kind=kind, data=data, leaf_hash=leaf_hash(data).hex(), **extra
    )


def _ensure_log(letter: Letter, genesis_keys: GenesisKeys | None) -> None:
    # Letters opened before the log existed (or by a path that forgot) still get a genesis
    # entry ahead of their first signature.
    if not LogState.objects.filter(letter=letter).exists():
        key, challenge = genesis_keys() if genesis_keys is not None else (None, None)
        log_open(letter=letter, issuance_key=key, token_challenge=challenge)


def log_enqueue_signature(
    *, letter: Letter, entry: bytes, signature_id: int, genesis_keys: GenesisKeys | None = None
) -> LogReceipt:
    """Queue a signature entry (crypto.logentries.signature_entry) for the signature row with id
    `signature_id`; returns the receipt parts the signer must keep."""
    with transaction.atomic():
        _ensure_log(letter, genesis_keys)
        _queue(letter, EntryKind.SIGNATURE, entry, signature_id=signature_id)
    return LogReceipt(entry, leaf_hash(entry), log_url(slug=letter.slug))


def log_receipt_of(*, letter: Letter, signature_id: int) -> LogReceipt | None:
    """The receipt parts of a signature's entry, queued or logged, to hand them out again."""
    for model in (Entry, PendingEntry):
        data = model.objects.filter(letter=letter, signature_id=signature_id)
        entry = data.values_list("data", flat=True).first()
        if entry is not None:
            entry = bytes(entry)
            return LogReceipt(entry, leaf_hash(entry), log_url(slug=letter.slug))
    return None


def log_enqueue_withdrawal(*, letter_id: int, signature_id: int, on: date | None = None) -> None:
    """Queue the withdrawal of a signature; the sequencer resolves its entry's index."""
    with transaction.atomic():
        PendingEntry.objects.create(
            letter_id=letter_id,
            kind=EntryKind.WITHDRAWAL,
            targets=[signature_id],
            created_on=on or timezone.localdate(),
        )


def log_enqueue_invalidation(*, letter_id: int, signature_ids: Sequence[int], reason: str) -> int:
    """Queue the invalidation of signatures of one letter, with a public reason.

    Returns the number of entries queued: large invalidations are split so that each entry
    stays well within the size limit of a log entry.
    """
    cleaned = clean_text(reason, field="reason", max_length=logentries.MAX_TEXT)
    if not cleaned:
        raise ValidationError("An invalidation needs a reason; it is published in the log.")
    ids = sorted(signature_ids)
    step = logentries.MAX_INVALIDATION_INDEXES
    queued = 0
    with transaction.atomic():
        for start in range(0, len(ids), step):
            PendingEntry.objects.create(
                letter_id=letter_id,
                kind=EntryKind.INVALIDATION,
                targets=ids[start : start + step],
                reason=cleaned,
            )
            queued += 1
    return queued


def log_enqueue_amendment(*, letter: Letter, genesis_keys: GenesisKeys | None = None) -> None:
    """Queue the hash of the letter's current text (after organizers amend it)."""
    data = logentries.amendment_entry(
        date=timezone.localdate(), text_hash=letter_text_hash(letter=letter)
    )
    with transaction.atomic():
        _ensure_log(letter, genesis_keys)
        _queue(letter, EntryKind.AMENDMENT, data)


def log_enqueue_delivery(
    *,
    letter: Letter,
    pdf_sha256: str,
    recipient_pdf_sha256: str,
    recipient: str,
    genesis_keys: GenesisKeys | None = None,
) -> None:
    """Queue the record of a delivery: the date, both copies' hashes, the recipient."""
    data = logentries.delivery_entry(
        date=timezone.localdate(),
        pdf_hash=pdf_sha256,
        recipient=recipient,
        recipient_pdf_hash=recipient_pdf_sha256,
    )
    with transaction.atomic():
        _ensure_log(letter, genesis_keys)
        _queue(letter, EntryKind.DELIVERY, data)


def log_cosign(*, letter: Letter, cosignatures: str) -> str:
    """Add witness cosignature lines for the current checkpoint; returns the new checkpoint.

    Each line must come from a witness in settings.LOG_WITNESSES and verify over the current
    checkpoint; otherwise nothing is stored.
    """
    lines = [line for line in cosignatures.replace("\r\n", "\n").split("\n") if line]
    if not lines or len(lines) > MAX_COSIGNATURES:
        raise CosignatureRejected(message=f"Send 1 to {MAX_COSIGNATURES} cosignature lines.")
    witnesses = [verifier_from_vkey(vkey) for vkey in settings.LOG_WITNESSES]
    known = {(w.name, w.key_id) for w in witnesses}
    with transaction.atomic():
        state = LogState.objects.select_for_update().get(letter=letter)
        text, existing = parse_note(state.checkpoint)
        try:
            _, offered = parse_note(text + "\n" + "\n".join(lines) + "\n")
        except NoteError as exc:
            raise CosignatureRejected(message=f"These are not signature lines: {exc}") from exc
        for sig in offered:
            if (sig.name, sig.key_id) not in known:
                raise CosignatureRejected(
                    message=f"{sig.name!r} is not a witness this log accepts."
                )
        log = verifier_from_vkey(state.vkey)
        try:
            open_checkpoint(format_note(text, [*offered, existing[0]]), log, witnesses=witnesses)
        except NoteError as exc:
            raise CosignatureRejected(
                message="A cosignature does not verify over the current checkpoint (size "
                f"{state.size}); the log may have moved on. ({exc})"
            ) from exc
        keep: list[NoteSignature] = [
            s for s in existing if (s.name, s.key_id) not in {(o.name, o.key_id) for o in offered}
        ]
        state.checkpoint = format_note(text, keep + offered)
        state.save(update_fields=["checkpoint"])
        letter_changed(slug=letter.slug)
        return state.checkpoint
