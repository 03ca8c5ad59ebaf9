"""`make bench`, part two: the delivery PDF of 100,000 named signatories (docs/design.md 10a).

Runs in its own process and reads peak memory from /proc/self/status (VmHWM), which, unlike
getrusage's ru_maxrss, does not carry over the parent's high-water mark across fork and exec.
"""

from __future__ import annotations

import os
import sys
import time
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
    pdf = build_pdf(document(signatories=people))
    seconds = time.monotonic() - started
    print(
        f"delivery PDF, {count:,} named signatories: {seconds:.1f} s, "
        f"peak memory {peak_mb():.0f} MB (whole process), {len(pdf) / 1e6:.1f} MB file"
    )


if __name__ == "__main__":
    main()
