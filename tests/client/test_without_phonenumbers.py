"""Without the ``phonenumbers`` extra: numbers go out as given, the fake invents nothing.

Each test runs a program in a child process where ``import phonenumbers``
fails (``sys.modules["phonenumbers"] = None``, set before ``ding`` is
imported), as in an install without ``ding[phonenumbers]``.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

from tests._child import ROOT, run_script

BLOCKED = """\
import sys
sys.modules["phonenumbers"] = None  # as if it were not installed
"""


def run_blocked(code: str) -> str:
    """Run *code* after blocking phonenumbers; return its output's last line."""
    result = run_script(BLOCKED + textwrap.dedent(code), timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_numbers_are_sent_as_given_and_the_fake_still_answers() -> None:
    out = run_blocked(
        """
        import json
        import ding
        from ding.testing import FakeDing

        fake = FakeDing()
        found = {}
        with fake.client() as client:
            # An impossible number, E.164-shaped: sent, and the fake (which
            # has no plans either) takes it.
            client.otp.create_authentication(phone_number="+1234567890")
            found["sent"] = [m.phone_number for m in fake.outbox]
            # A formatted number goes out as typed: the fake refuses its shape.
            try:
                client.otp.create_authentication(phone_number="+33 6 12 34 56 78")
            except ding.ErrorResponse as exc:
                found["refused"] = [str(exc.code), exc.message]
            found["requests"] = fake.handled_requests
            found["lookup"] = client.lookup.lookup("+33612345678").raw_response.json()
            found["no_country"] = client.lookup.lookup("+999123").raw_response.json()
        found["loaded"] = sys.modules["phonenumbers"] is not None
        print(json.dumps(found))
        """
    )
    found = json.loads(out)
    assert found["sent"] == ["+1234567890"]
    assert found["refused"] == [
        "invalid_phone_number",
        "+33 6 12 34 56 78 is not a valid phone number",
    ]
    assert found["requests"] == 2
    # The country from the calling code, and nothing the fake cannot know.
    assert found["lookup"] == {
        "phone_number": "+33612345678",
        "country_code": "FR",
        "line_type": "Unknown",
        "number_ported": False,
        "temporary_phone_number": False,
    }
    assert found["no_country"]["country_code"] == "XX"
    assert found["no_country"]["line_type"] == "Unknown"
    assert not found["loaded"]


def test_the_helper_and_default_region_say_to_install_the_extra() -> None:
    out = run_blocked(
        """
        import json
        import ding

        messages = []
        for attempt in (
            lambda: ding.normalize_phone_number("+33 6 12 34 56 78"),
            lambda: ding.AsyncDing(api_key="k", default_region="FR"),
            lambda: ding.Ding(api_key="k", default_region="FR"),
            lambda: ding.AsyncDing(api_key="k").with_options(default_region="FR"),
        ):
            try:
                attempt()
            except ding.UsageError as exc:
                messages.append([type(exc).__name__, str(exc)])
        print(json.dumps(messages))
        """
    )
    messages = json.loads(out)
    assert len(messages) == 4
    for name, message in messages:
        assert name == "UsageError"
        assert "pip install 'ding[phonenumbers]'" in message
    assert messages[0][1].startswith("normalize_phone_number needs the phonenumbers")
    assert messages[1][1].startswith("default_region needs the phonenumbers")


def test_the_quickstart_runs_against_the_fake() -> None:
    quickstart = Path(ROOT, "examples", "quickstart.py")
    out = run_blocked(
        f"""
        import os, runpy
        os.environ["DING_API_KEY"] = ""
        runpy.run_path({str(quickstart)!r}, run_name="__main__")
        print("phonenumbers" in sys.modules and sys.modules["phonenumbers"] is not None)
        """
    )
    assert out == "False"


def test_the_child_really_lacks_the_library() -> None:
    # The check above means something only if the block works, and if the
    # library is there to be blocked (the test dependencies install it).
    assert importlib.util.find_spec("phonenumbers") is not None
    result = run_script(BLOCKED + "import phonenumbers\n")
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr or "ImportError" in result.stderr
