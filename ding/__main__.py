"""``python -m ding``: the ``ding`` command, where its script is not on PATH."""

import sys

from ding._cli._main import main

if __name__ == "__main__":
    sys.exit(main())
