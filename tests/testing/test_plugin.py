"""The pytest plugin, used the way a user's project uses it."""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from ding.testing import FakeDing, ManualClock, deterministic_codes

if TYPE_CHECKING:
    import pytest

pytest_plugins = ["pytester"]


def test_fixtures_in_a_throwaway_project(pytester: pytest.Pytester) -> None:
    # A project that only installed `ding`: no conftest, no plugin import.
    pytester.makepyfile(
        test_signup=textwrap.dedent(
            """
            import anyio
            import ding
            from ding.models import components


            def test_sync_signup(ding_client, ding_fake):
                res = ding_client.otp.create_authentication(phone_number="+14155550123")
                uuid = res.create_authentication_response.authentication_uuid
                code = ding_fake.outbox.last_code("+14155550123")
                check = ding_client.otp.check(authentication_uuid=uuid, check_code=code)
                assert check.create_check_response.status == components.CheckStatus.VALID


            def test_async_signup_and_expiry(ding_async_client, ding_fake):
                async def flow():
                    res = await ding_async_client.otp.create_authentication(
                        phone_number="+14155550123"
                    )
                    uuid = res.create_authentication_response.authentication_uuid
                    ding_fake.clock.advance(3600)
                    code = ding_fake.outbox.last_code("+14155550123")
                    check = await ding_async_client.otp.check(
                        authentication_uuid=uuid, check_code=code
                    )
                    return check.create_check_response.status

                assert anyio.run(flow) == components.CheckStatus.EXPIRED_AUTH


            def test_server_fixture(ding_server, ding_fake):
                with ding.Ding(api_key="k", server_url=ding_server, customer_uuid=
                               "28591d9e-a825-47f6-ab11-1a61726305bf") as client:
                    client.otp.create_authentication(phone_number="+14155550123")
                assert ding_fake.outbox.last_code("+14155550123") is not None


            def test_fixtures_are_fresh_per_test(ding_fake):
                assert len(ding_fake.outbox) == 0


            def test_codes_are_reproducible(ding_client, ding_fake):
                ding_client.otp.create_authentication(phone_number="+14155550123")
                assert ding_fake.outbox.last_code("+14155550123") == {code!r}
            """,
        ).replace("{code!r}", repr(_first_deterministic_code())),
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=5)


def _first_deterministic_code() -> str:

    fake = FakeDing(clock=ManualClock(), codes=deterministic_codes(), seed=0)
    with fake.client() as client:
        client.otp.create_authentication(phone_number="+14155550123")
    code = fake.outbox.last_code("+14155550123")
    assert code is not None
    return code


def test_plugin_is_registered_as_an_entry_point() -> None:

    names = {e.value for e in entry_points(group="pytest11") if e.name == "ding"}
    assert names == {"ding.testing.pytest_plugin"}


def test_the_ding_settings_marker_sets_the_fakes_settings(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_marked=textwrap.dedent(
            """
            from datetime import timedelta

            import pytest
            from ding.models import components
            from ding.testing import FakeSettings

            pytestmark = pytest.mark.ding_settings(max_retries=0, code_length=4)


            def test_module_marker(ding_fake):
                assert ding_fake.settings == FakeSettings(max_retries=0, code_length=4)


            @pytest.mark.ding_settings(max_invalid_checks=1)
            def test_one_wrong_code_locks_the_authentication(ding_client, ding_fake):
                res = ding_client.otp.create_authentication(phone_number="+14155550123")
                uuid = res.create_authentication_response.authentication_uuid
                assert len(ding_fake.outbox.last_code("+14155550123")) == 4
                ding_client.otp.check(authentication_uuid=uuid, check_code="0000")
                code = ding_fake.outbox.last_code("+14155550123")
                check = ding_client.otp.check(authentication_uuid=uuid, check_code=code)
                assert check.create_check_response.status == (
                    components.CheckStatus.RATE_LIMITED
                )


            @pytest.mark.ding_settings(code_length=8)
            class TestNearestWins:
                @pytest.mark.ding_settings(lifetime=timedelta(minutes=1))
                def test_each_field_from_the_nearest_marker(self, ding_fake):
                    assert ding_fake.settings == FakeSettings(
                        max_retries=0, code_length=8, lifetime=timedelta(minutes=1)
                    )


            @pytest.mark.ding_settings(
                strict=True,
                api_keys=frozenset({"k"}),
                customer_uuids=frozenset({"b193166e-1ee3-41d3-9acb-9c9ac7f10712"}),
            )
            def test_strict_mode_and_the_client_fixture(ding_client, ding_fake):
                # The client fixture uses the configured key and customer.
                res = ding_client.otp.create_authentication(phone_number="+14155550123")
                assert res.create_authentication_response.authentication_uuid
            """,
        ),
        test_unmarked="""
            from ding.testing import FakeSettings


            def test_defaults_without_a_marker(ding_fake):
                assert ding_fake.settings == FakeSettings()
            """,
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-W", "error", "--strict-markers"
    )
    result.assert_outcomes(passed=5)


def test_a_wrong_ding_settings_marker_fails_at_setup_saying_why(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_wrong=textwrap.dedent(
            """
            import pytest


            @pytest.mark.ding_settings(max_retry=0)
            def test_unknown_field(ding_fake):
                pass


            @pytest.mark.ding_settings(max_retries=-1)
            def test_invalid_value(ding_fake):
                pass


            @pytest.mark.ding_settings({"max_retries": 0})
            def test_positional(ding_fake):
                pass
            """,
        ),
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            (
                "*ding_settings: unknown FakeSettings field(s) max_retry; "
                "known: lifetime, max_invalid_checks, max_retries, *"
            ),
            "*ding_settings: max_retries must be an integer >= 0, got -1",
            (
                "*ding_settings takes keywords only (FakeSettings fields), "
                "got 1 positional argument(s)"
            ),
        ],
        consecutive=False,
    )
