"""The mixed-install error's message, and the fix it gives, in this process.

`import ding` raises `MixedInstallError` when the package directory holds
files of ding-api-client too (tests/surface/test_mixed_install.py imports
such a copy in a fresh interpreter). Its message names the files found and
the two commands that fix the install: uninstall both distributions, then
install this project again from where pip installed it, which the
distribution's `direct_url.json` (PEP 610) records.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from ding._mixed_install import (
    MixedInstallError,
    from_direct_url,
    reinstall_argument,
)

if TYPE_CHECKING:
    from pathlib import Path


def installed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    direct_url: object = None,
    *other_files: str,
) -> Path:
    """A `ding` package installed in a directory first on sys.path; its path.

    The distribution is ding 1.2.3; its `direct_url.json` holds *direct_url*
    (none if None); the package directory holds *other_files* of the other
    SDK.
    """
    site = tmp_path / "site-packages"
    package = site / "ding"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    info = site / "ding-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ding\nVersion: 1.2.3\n"
    )
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    for name in other_files:
        path = package / name
        if "." in name:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# a file of ding-api-client\n")
        else:
            path.mkdir()
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    return package


def test_the_message_names_the_files_and_the_commands_that_fix_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The files found, in a fixed order; the commands, with this Python and
    # where this project was installed from; the guide for code written for
    # the other SDK.
    package = installed(
        tmp_path,
        monkeypatch,
        {"url": "file:///src/ding", "dir_info": {"editable": True}},
        "utils/utils.py",
        "_hooks",
        "otp.py",
    )
    error = MixedInstallError(str(package))
    assert str(error) == (
        f"{package} mixes two distributions that both install the `ding` "
        "package: this SDK (`ding`) and the official generated SDK "
        "(`ding-api-client`), whose files are still there "
        "(otp.py, _hooks, utils/utils.py). Installing one over the other "
        "overwrites the files they share, and uninstalling either one deletes "
        "files of the other, so neither works. Uninstall both, then install "
        "this SDK again:\n"
        f"    {sys.executable} -m pip uninstall -y ding-api-client ding\n"
        f"    {sys.executable} -m pip install -e /src/ding\n"
        "Code written for ding-api-client runs on this SDK, with the few "
        "differences listed in its Migration guide (docs/guides/migration.md)."
    )


def test_the_error_is_an_import_error_of_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = installed(tmp_path, monkeypatch, None, "sdk.py")
    error = MixedInstallError(str(package))
    assert isinstance(error, ImportError)
    assert (error.name, error.path) == ("ding", str(package))
    assert error.msg == str(error)


def test_without_the_interpreters_path_the_commands_say_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sys.executable is empty when Python cannot tell where it is.
    package = installed(tmp_path, monkeypatch, None, "sdk.py")
    monkeypatch.setattr(sys, "executable", "")
    lines = str(MixedInstallError(str(package))).splitlines()
    assert "    python -m pip uninstall -y ding-api-client ding" in lines
    assert "    python -m pip install ding==1.2.3" in lines


@pytest.mark.parametrize(
    ("direct_url", "argument"),
    [
        # Installed from a directory: from it again.
        ({"url": "file:///src/ding", "dir_info": {}}, "/src/ding"),
        # From an archive at a URL: from the URL.
        (
            {"url": "https://example.test/ding-1.0.tar.gz", "archive_info": {}},
            "https://example.test/ding-1.0.tar.gz",
        ),
        # A release from an index writes no direct_url.json: that version.
        (None, "ding==1.2.3"),
    ],
)
def test_the_fix_reinstalls_this_copy_from_where_it_came(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    direct_url: object,
    argument: str,
) -> None:
    package = installed(tmp_path, monkeypatch, direct_url)
    assert reinstall_argument(package) == argument


def test_another_copys_metadata_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The distribution found is not the one of this package directory (an
    # editable install elsewhere): the fix installs ding, by name.
    installed(tmp_path, monkeypatch, {"url": "file:///src/ding", "dir_info": {}})
    elsewhere = tmp_path / "elsewhere" / "ding"
    elsewhere.mkdir(parents=True)
    assert reinstall_argument(elsewhere) == "ding"


def test_without_metadata_the_fix_installs_ding_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No distribution named ding anywhere (a package copied by hand).
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert reinstall_argument(tmp_path / "ding") == "ding"


@pytest.mark.parametrize(
    ("direct_url", "argument"),
    [
        ({"url": "file:///src/ding", "dir_info": {}}, "/src/ding"),
        ({"url": "file:///my%20src", "dir_info": {}}, "'/my src'"),
        (
            {"url": "file:///src/ding", "dir_info": {"editable": True}},
            "-e /src/ding",
        ),
        (
            {"url": "file:///src/ding", "dir_info": {"editable": False}},
            "/src/ding",
        ),
        (
            {
                "url": "https://example.test/ding.git",
                "vcs_info": {"vcs": "git", "commit_id": "abc123"},
            },
            "git+https://example.test/ding.git@abc123",
        ),
        (
            {
                "url": "https://example.test/ding",
                "vcs_info": {"vcs": "hg", "commit_id": "abc123"},
            },
            "hg+https://example.test/ding@abc123",
        ),
        # A vcs_info without its vcs is read as git.
        (
            {"url": "https://example.test/ding.git", "vcs_info": {"commit_id": "c0"}},
            "git+https://example.test/ding.git@c0",
        ),
        (
            {
                "url": "https://example.test/ding-1.0-py3-none-any.whl",
                "archive_info": {},
            },
            "https://example.test/ding-1.0-py3-none-any.whl",
        ),
        # An archive on this machine: its file URL, as pip takes it.
        (
            {"url": "file:///dist/ding-1.0.tar.gz", "archive_info": {}},
            "file:///dist/ding-1.0.tar.gz",
        ),
        (
            {"url": "https://example.test/my ding.whl"},
            "'https://example.test/my ding.whl'",
        ),
        ({"dir_info": {}}, None),
        ([], None),
    ],
)
def test_the_fix_reinstalls_from_where_pip_installed_it(
    direct_url: object, argument: str | None
) -> None:
    assert from_direct_url(json.dumps(direct_url)) == argument


@pytest.mark.parametrize("text", [None, "", "{not json", "null"])
def test_no_direct_url_names_nothing(text: str | None) -> None:
    assert from_direct_url(text) is None
