"""The error for a `ding/` directory shared with the official generated SDK.

The official SDK, `ding-api-client` (and the seed-era builds before it),
installs an import package named `ding` too. pip does not know the two
distributions collide: installing one over the other overwrites the files
they share (`ding/__init__.py`, `ding/models/__init__.py`,
`ding/utils/__init__.py`) and leaves the rest side by side, and uninstalling
either deletes files of the other. Left alone, the mix fails far from its
cause (``module 'ding.utils' has no attribute 'get_field_name'`` on the first
call). `ding/__init__.py` looks for the first file below with one stat, before
it imports anything, and imports this module only when it is there.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Files and folders that ding-api-client 3.x installs in `ding/` (checked on
#: 3.0.0 and 3.9.120) and this project never has. The first is also in every
#: earlier generated release; `ding/__init__.py` checks that one alone.
OTHER_SDK_FILES = (
    "sdkconfiguration.py",
    "sdk.py",
    "otp.py",
    "lookup.py",
    "_hooks",
    "utils/utils.py",
)


class MixedInstallError(ImportError):
    """The `ding` package directory holds files of the official SDK too."""

    def __init__(self, package_dir: str) -> None:
        found = [
            name for name in OTHER_SDK_FILES if (Path(package_dir) / name).exists()
        ]
        python = sys.executable or "python"
        message = (
            f"{package_dir} mixes two distributions that both install the `ding` "
            "package: this SDK (`ding`) and the official generated SDK "
            f"(`ding-api-client`), whose files are still there ({', '.join(found)}). "
            "Installing one over the other overwrites the files they share, and "
            "uninstalling either one deletes files of the other, so neither works. "
            "Uninstall both, then install this SDK again, the way you installed it "
            "before:\n"
            f"    {python} -m pip uninstall -y ding-api-client ding\n"
            f"    {python} -m pip install ding\n"
            "Code written for ding-api-client runs on this SDK unchanged; "
            "see 'Migration' in its README."
        )
        super().__init__(message, name="ding", path=package_dir)
