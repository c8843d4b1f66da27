"""``python -m benchmarks``: run the benchmark suite (see `benchmarks`)."""

import sys

from benchmarks._run import main

sys.exit(main())
