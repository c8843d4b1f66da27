"""Import ding where this project was installed over ding-api-client, or after the fix.

Run by ``nox -s mixed-install``, twice, in one fresh environment:

* ``mixed``: after ``pip install ding-api-client==3.9.120`` and then this
  project. pip warns of nothing, both put files in ``ding/``; ``import ding``
  must raise ``MixedInstallError`` with the way out, not the
  ``AttributeError`` the mix used to give on the first call.
* ``fixed``: after the two commands that message gives, run as given
  (uninstall both, install this project again from where it came);
  ``import ding`` must work, and the first call too.

Usage: python tests/conformance/mixed_install.py mixed|fixed
"""

from __future__ import annotations

import importlib
import sys


def mixed() -> int:
    """Expect the explanation; return the exit status."""
    try:
        importlib.import_module("ding")
    except ImportError as exc:
        message = str(exc)
        print(f"import ding: {type(exc).__name__}: {message}")
        expected = [
            "ding-api-client",
            "sdkconfiguration.py",
            "-m pip uninstall -y ding-api-client ding\n",
            "-m pip install ",
        ]
        missing = [text for text in expected if text not in message]
        if type(exc).__name__ != "MixedInstallError" or missing:
            print(f"FAIL: not the explanation; missing {missing}")
            return 1
        return 0
    print("FAIL: import ding worked in a mixed install")
    return 1


def fixed() -> int:
    """Expect a working package; return the exit status."""
    ding = importlib.import_module("ding")
    from ding.testing import FakeDing  # noqa: PLC0415 - after the import under test

    with FakeDing().client() as client:
        res = client.otp.create_authentication(
            customer_uuid="28591d9e-a825-47f6-ab11-1a61726305bf",
            phone_number="+14155550123",
        )
    print(f"import ding: {ding.__file__}; first call: {res.status_code}")
    return 0 if res.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit({"mixed": mixed, "fixed": fixed}[sys.argv[1]]())
