"""The pytest plugin's ``ding_settings`` marker, in this process.

tests/testing/test_plugin.py runs the plugin in a throwaway project, in a
pytest process of its own, as a user's project runs it; mutation testing
cannot see into that process. These use the plugin this suite runs under
(the package's pytest11 entry point): its ``ding_fake`` fixture directly,
and for the marker's errors and its registration, pytest sessions run
in this process by ``pytester``.
"""

from __future__ import annotations

import ast
import re
import textwrap

import attrs
import pytest

from ding.testing import FakeDing, FakeSettings, ManualClock, deterministic_codes

pytest_plugins = ["pytester"]


def test_without_a_marker_the_fake_has_the_default_settings(
    ding_fake: FakeDing,
) -> None:
    assert ding_fake.settings == FakeSettings()


@pytest.mark.ding_settings(max_retries=0, code_length=4)
def test_the_marker_sets_the_fields_it_names(ding_fake: FakeDing) -> None:
    assert ding_fake.settings == FakeSettings(max_retries=0, code_length=4)


@pytest.mark.ding_settings(code_length=8, max_retries=1)
class TestTheNearestMarkerWins:
    @pytest.mark.ding_settings(code_length=6)
    def test_each_field_from_the_nearest_marker(self, ding_fake: FakeDing) -> None:
        assert ding_fake.settings == FakeSettings(code_length=6, max_retries=1)

    # The test's other markers are not settings.
    @pytest.mark.parametrize("strict", [True])
    @pytest.mark.filterwarnings("error")
    def test_other_markers_are_left_alone(
        self, ding_fake: FakeDing, strict: bool
    ) -> None:
        assert ding_fake.settings == FakeSettings(code_length=8, max_retries=1)
        assert strict


def test_a_wrong_marker_fails_the_test_at_setup_with_its_reason_alone(
    pytester: pytest.Pytester,
) -> None:
    # Each wrong marker is an error at setup whose report says what is
    # wrong, naming the known fields for an unknown one, and shows no
    # traceback into the plugin.
    pytester.makepyfile(
        test_wrong=textwrap.dedent(
            """
            import pytest


            @pytest.mark.ding_settings(max_retry=0, code_lenght=4)
            def test_unknown_fields(ding_fake):
                pass


            @pytest.mark.ding_settings(max_retries=-1)
            def test_invalid_value(ding_fake):
                pass


            @pytest.mark.ding_settings({"max_retries": 0})
            def test_positional(ding_fake):
                pass
            """
        )
    )
    recorded = pytester.inline_run("-p", "no:cacheprovider")  # pyright: ignore[reportUnknownMemberType]
    known = ", ".join(field.name for field in attrs.fields(FakeSettings))
    reasons = {
        "test_unknown_fields": (
            "@pytest.mark.ding_settings: unknown FakeSettings field(s) "
            f"code_lenght, max_retry; known: {known}"
        ),
        "test_invalid_value": (
            "@pytest.mark.ding_settings: max_retries must be an integer >= 0, got -1"
        ),
        "test_positional": (
            "@pytest.mark.ding_settings takes keywords only (FakeSettings "
            "fields), got 1 positional argument(s)"
        ),
    }
    setups = [
        report
        for report in recorded.getreports("pytest_runtest_logreport")
        if report.when == "setup"
    ]
    assert all(report.failed for report in setups)
    reports = {r.nodeid.rsplit("::", 1)[1]: str(r.longrepr) for r in setups}
    assert set(reports) == set(reasons)
    for test, reason in reasons.items():
        assert reports[test].splitlines()[-1] == reason, reports[test]
        assert "pytest_plugin.py" not in reports[test], reports[test]


def test_pytest_markers_describes_ding_settings_with_an_example_that_works(
    pytester: pytest.Pytester,
) -> None:
    # `pytest --markers` lists the marker: what it sets, and an example,
    # which names real fields with values they take.
    config = pytester.parseconfigure()
    [line] = [
        line for line in config.getini("markers") if line.startswith("ding_settings")
    ]
    found = re.fullmatch(
        r"ding_settings\(\*\*fields\): the FakeSettings fields of the ding_fake "
        r"fixture for this test, e\.g\. (ding_settings\(.*\))",
        line,
    )
    assert found is not None, line
    example = ast.parse(found.group(1), mode="eval").body
    assert isinstance(example, ast.Call)
    assert not example.args
    fields = {
        str(keyword.arg): ast.literal_eval(keyword.value)
        for keyword in example.keywords
    }
    assert fields
    FakeSettings(**fields)


def test_the_fake_has_a_manual_clock_and_reproducible_codes_and_uuids(
    ding_fake: FakeDing,
) -> None:
    # Time stands still until moved; the code and the UUID are those of any
    # other fake the plugin makes.
    assert isinstance(ding_fake.clock, ManualClock)
    other = FakeDing(clock=ManualClock(), codes=deterministic_codes(), seed=0)
    sent: list[tuple[str | None, str | None]] = []
    for fake in (ding_fake, other):
        with fake.client() as client:
            res = client.otp.create_authentication(phone_number="+14155550123")
        assert res.create_authentication_response is not None
        uuid = res.create_authentication_response.authentication_uuid
        sent.append((uuid, fake.outbox.last_code("+14155550123")))
    assert sent[0] == sent[1]
