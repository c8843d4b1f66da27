"""The ``ding`` command (the console script ``ding = "ding._cli:main"``)."""

from ding._cli._main import main

__all__ = ["main"]
