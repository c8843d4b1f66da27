"""Servers that close idle connections: no call fails, none is handled twice.

`scripts/idle_connections.py` serves the fake with an idle timeout of
0.25 s, silently and announced (``Keep-Alive: timeout=0.25``), and spaces
100 ``create_authentication`` calls (a POST, with retries off) about 0.25 s
apart through each client: `ding.AsyncDing` on asyncio, on uvloop's loop
and on trio, and `ding.Ding`. Some calls are written to a connection at the
very moment the server closes it; the SDK sends those once more
(`ding._transport._reuse`). The script runs its eight cases at once, in processes of
their own, some 26 s. The rules one by one: tests/transport/test_reuse_rules.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CALLS = 100
IDLE_TIMEOUT = 0.25


@pytest.fixture(scope="module")
def reports() -> list[dict[str, Any]]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(ROOT / "scripts" / "idle_connections.py"),
            "--calls",
            str(CALLS),
            "--idle-timeout",
            # Long enough that a busy machine does not hold the fake's
            # server past it between accepting a connection and reading.
            str(IDLE_TIMEOUT),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=CALLS * IDLE_TIMEOUT * 1.03 + 30,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.stderr == ""
    runs: list[dict[str, Any]] = json.loads(result.stdout)
    return runs


@pytest.mark.parametrize("mode", ["silent", "announced"])
@pytest.mark.parametrize("client", ["asyncio", "uvloop", "trio", "sync"])
def test_no_call_fails_and_each_is_handled_once(
    reports: list[dict[str, Any]], client: str, mode: str
) -> None:
    (report,) = [r for r in reports if (r["client"], r["mode"]) == (client, mode)]
    assert report["calls"] == CALLS
    assert report["failed"] == 0, report["failures"]
    assert report["handled"] == CALLS
    assert report["codes_sent"] == CALLS
    if mode == "announced":
        # The server said when it closes: the SDK's pool reuses no
        # connection that late, so nothing has to be sent again.
        assert report["resent"] == 0
