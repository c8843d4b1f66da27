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

import importlib.metadata
import json
import shlex
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

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


def reinstall_argument(package_dir: Path) -> str:
    """Return what to give `pip install` to install this project as it was.

    Read from the distribution's `direct_url.json` (PEP 610), which pip
    writes for a path, an archive or a VCS URL; a release from an index has
    none, and gets its name and version.
    """
    try:
        dist = importlib.metadata.distribution("ding")
    except importlib.metadata.PackageNotFoundError:
        return "ding"
    if Path(str(dist.locate_file(""))).resolve() != package_dir.resolve().parent:
        return "ding"  # another copy's metadata (an editable install elsewhere)
    origin = from_direct_url(dist.read_text("direct_url.json"))
    return origin or f"ding=={dist.version}"


def from_direct_url(text: str | None) -> str | None:
    """Return the `pip install` argument a `direct_url.json` names, if any."""
    try:
        origin: dict[str, Any] = json.loads(text or "null")
        url = str(origin["url"])
    except (ValueError, KeyError, TypeError):
        return None
    if "vcs_info" in origin:
        vcs = origin["vcs_info"]
        url = f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}"
    elif "dir_info" in origin and url.startswith("file:"):
        path = shlex.quote(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
        return f"-e {path}" if origin["dir_info"].get("editable", False) else path
    return shlex.quote(url)


class MixedInstallError(ImportError):
    """The `ding` package directory holds files of the official SDK too."""

    def __init__(self, package_dir: str) -> None:
        here = Path(package_dir)
        found = [name for name in OTHER_SDK_FILES if (here / name).exists()]
        python = sys.executable or "python"
        message = (
            f"{package_dir} mixes two distributions that both install the `ding` "
            "package: this SDK (`ding`) and the official generated SDK "
            f"(`ding-api-client`), whose files are still there ({', '.join(found)}). "
            "Installing one over the other overwrites the files they share, and "
            "uninstalling either one deletes files of the other, so neither works. "
            "Uninstall both, then install this SDK again:\n"
            f"    {python} -m pip uninstall -y ding-api-client ding\n"
            f"    {python} -m pip install {reinstall_argument(here)}\n"
            "Code written for ding-api-client runs on this SDK, with the few "
            "differences listed in its Migration guide (docs/guides/migration.md)."
        )
        super().__init__(message, name="ding", path=package_dir)
