"""How many examples a property test draws, scaled for the session running it.

The `tests` nox sessions on the interpreters not under coverage set
``DING_EXAMPLES_SCALE=0.25``: every property test still runs there, with a
quarter of its examples, so that CI keeps to its time budget; the session
under coverage (and a plain ``pytest``) draws them all. The code under test
has no per-version branch.
"""

from __future__ import annotations

import os
from typing import Final

SCALE: Final = float(os.environ.get("DING_EXAMPLES_SCALE", "1"))


def examples(count: int) -> int:
    """Return *count* scaled for this session, and never below 10."""
    return max(10, round(count * SCALE))
