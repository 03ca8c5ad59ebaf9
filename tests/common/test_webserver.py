"""The servers' connection limit fits the file-descriptor limit (common/webserver.py).

Each case runs in a subprocess: lowering a hard limit cannot be undone, and pytest's own
limit must stay as it was.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Sets the limits, asks for 1000 connections, prints what it got and the soft limit after.
SCRIPT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), int(sys.argv[2])))
from undersigned.common.webserver import connection_limit
print(connection_limit(1000), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


def _limit(soft: int, hard: int) -> tuple[int, int]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(soft), str(hard)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    connections, new_soft = result.stdout.split()
    return int(connections), int(new_soft)


@pytest.fixture(autouse=True)
def _room_for_the_cases() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2000:
        pytest.skip(f"the hard file-descriptor limit here ({hard}) is below the cases' 2000")


def test_connection_limit_raises_a_low_soft_limit_when_the_hard_one_allows() -> None:
    assert _limit(256, 2000) == (1000, 1128)


def test_connection_limit_shrinks_to_fit_a_low_hard_limit() -> None:
    assert _limit(256, 600) == (472, 600)


def test_connection_limit_leaves_a_sufficient_soft_limit_alone() -> None:
    assert _limit(1500, 2000) == (1000, 1500)
