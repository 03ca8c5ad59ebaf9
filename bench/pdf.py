"""`make bench`, part two: the delivery PDF of 100,000 named signatories (docs/design.md 10a).

Delivery builds two copies one after the other, the public one (public-tier names) and the
recipient's (all named signers), so both are built and timed together here.

Runs in its own process and reads peak memory from /proc/self/status (VmHWM), which, unlike
getrusage's ru_maxrss, does not carry over the parent's high-water mark across fork and exec.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings.test")

from tests.delivery.helpers import document

from undersigned.delivery.pdf import Signatory, build_pdf


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(count: int = 100_000) -> None:
    people = [
        Signatory(
            f"Person {n} Lastname",
            "Engineer" if n % 3 else "",
            f"Dept {n % 40}",
            "القاهرة" if n % 10 == 0 else "",
            public=n % 4 != 0,
        )
        for n in range(count)
    ]
    started = time.monotonic()
    public = document(signatories=[p for p in people if p.public])
    public_pdf = build_pdf(public)
    digest = hashlib.sha256(public_pdf).hexdigest()
    pdf = build_pdf(
        replace(public, signatories=people, recipient_copy=True, serial="0" * 64,
                public_sha256=digest)
    )  # fmt: skip
    seconds = time.monotonic() - started
    print(
        f"delivery PDFs, {count:,} named signatories: {seconds:.1f} s for both copies, "
        f"peak memory {peak_mb():.0f} MB (whole process), {len(public_pdf) / 1e6:.1f} MB public "
        f"and {len(pdf) / 1e6:.1f} MB recipient's file"
    )


if __name__ == "__main__":
    main()
