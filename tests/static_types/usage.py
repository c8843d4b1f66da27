"""Type-checked, never run: what the docs show must type-check, mistakes must not.

Every line that ends in ``# type: ignore[...]`` is a mistake mypy and pyright
(both strict) must flag; the rest is documented usage, which they must
accept. mypy (``warn_unused_ignores``, part of strict) and pyright (the
setting below) both report an ignore that silences nothing, so the types
session fails as soon as a mistake stops being caught. ``tests/policy/test_static_types.py``
also checks each marked line with its ignore removed.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=true

from __future__ import annotations

import datetime as dt
from typing import NoReturn

import ding
from ding.models import errors, shared
from ding.testing import FakeDing, FakeSettings, ManualClock


async def keyword_style(client: ding.AsyncDing) -> None:
    sent = await client.otp.create_authentication(
        phone_number="+14155550123", device_type="IOS"
    )
    await client.otp.create_authentication(
        phone_number="+14155550123", device_type=shared.DeviceType.WEB
    )
    auth = sent.create_authentication_response
    assert auth is not None
    assert auth.authentication_uuid is not None
    await client.otp.check(
        authentication_uuid=auth.authentication_uuid, check_code="123456"
    )
    await client.otp.retry(authentication_uuid=auth.authentication_uuid)
    await client.otp.feedback(phone_number="+14155550123", status="onboarded")
    await client.lookup.lookup("+14155550123", type_="cnam")
    await client.lookup.lookup("+14155550123", type_=["cnam"])


async def typed_flow(
    client: ding.AsyncDing,
) -> tuple[shared.Status | str, shared.RetryAuthenticationResponseStatus | str, bool]:
    sent = await client.otp.create_authentication(phone_number="+14155550123")
    auth_uuid: str = sent.authentication_uuid  # str, no assert or cast
    checked = await client.otp.check(authentication_uuid=auth_uuid, check_code="1")
    again = await client.otp.retry(authentication_uuid=sent.authentication_uuid)
    sent.authentication_uuid = "u"  # type: ignore[misc]
    return sent.status, again.status, checked.status == shared.CheckStatus.VALID


def missing_field(sent: ding.models.operations.PostAuthenticationResponse) -> str:
    try:
        return sent.authentication_uuid
    except ding.MissingFieldError as e:
        return f"{e.field}: {e.message}"


def assert_never(value: NoReturn) -> NoReturn:  # typing.assert_never: 3.11
    raise AssertionError(value)


def open_enums(checked: ding.models.operations.PostCheckResponse) -> str:
    status = checked.status  # CheckStatus | UnknownValue: the union survives
    if not isinstance(status, shared.CheckStatus):
        unknown: ding.UnknownValue = status  # a value newer than this SDK
        return f"unknown status {unknown}"
    match status:
        case shared.CheckStatus.VALID:
            return "ok"
        case (
            shared.CheckStatus.INVALID
            | shared.CheckStatus.WITHOUT_ATTEMPT
            | shared.CheckStatus.RATE_LIMITED
            | shared.CheckStatus.ALREADY_VALIDATED
            | shared.CheckStatus.EXPIRED_AUTH
            | shared.CheckStatus.UNKNOWN
        ):
            return "try again"
        case _:
            assert_never(status)


def open_enum_mistakes(checked: ding.models.operations.PostCheckResponse) -> None:
    status = checked.status
    if isinstance(status, shared.CheckStatus):
        match status:
            case shared.CheckStatus.VALID:
                pass
            case _:
                assert_never(status)  # type: ignore[arg-type]
    known: shared.CheckStatus = checked.status  # type: ignore[assignment]
    shared.CreateCheckResponse(status="valid")  # a hand-built answer takes strings
    shared.CreateCheckResponse(status=1)  # type: ignore[arg-type]
    assert known


async def request_style(client: ding.AsyncDing) -> None:
    request = shared.CreateCheckRequest(authentication_uuid="u", check_code="1")
    await client.otp.check(request)
    await client.otp.post_check(request, timeout=2)
    await client.otp.check({"authentication_uuid": "u", "check_code": "1"})
    await client.otp.post_authentication(
        shared.CreateAuthenticationRequest(
            phone_number="+14155550123", device_type="ANDROID"
        )
    )


async def keyword_mistakes(client: ding.AsyncDing) -> None:
    await client.otp.create_authentication(customer_uuid="c")  # type: ignore[call-overload]
    await client.otp.check(authentication_uuid="u")  # type: ignore[call-overload]
    await client.otp.post_check(check_code="123456")  # type: ignore[call-overload]
    await client.otp.retry()  # type: ignore[call-overload]
    await client.otp.feedback(phone_number="+14155550123")  # type: ignore[call-overload]
    request = shared.CreateCheckRequest(authentication_uuid="u", check_code="1")
    await client.otp.check(request, check_code="2")  # type: ignore[call-overload]


async def enum_typos(client: ding.AsyncDing) -> None:
    await client.otp.create_authentication(phone_number="+1", device_type="iPhone")  # type: ignore[call-overload]
    await client.otp.feedback(phone_number="+1", status="onboard")  # type: ignore[call-overload]
    await client.lookup.lookup("+1", type_="cnma")  # type: ignore[arg-type]
    shared.CreateAuthenticationRequest(phone_number="+1", device_type="ios")  # type: ignore[arg-type]


def sync_client(client: ding.Ding) -> None:
    client.otp.check(authentication_uuid="u", check_code="123456")
    client.otp.check(shared.CreateCheckRequest(authentication_uuid="u", check_code="1"))
    client.otp.check(authentication_uuid="u")  # type: ignore[call-overload]
    client.otp.create_authentication(phone_number="+1", device_type="iPhone")  # type: ignore[call-overload]


def error_codes(client: ding.Ding) -> str | None:
    try:
        client.otp.create_authentication(phone_number="+0")
    except errors.ErrorResponse as e:
        if e.code in {ding.Code.INVALID_PHONE_NUMBER, errors.Code.BLOCKED_NUMBER}:
            return e.message
    return None


def error_code_is_open(e: ding.ErrorResponse) -> str:
    # Code | UnknownValue, not Code | str (which mypy collapses to str).
    code = e.code
    if code is None:
        return "none"
    if isinstance(code, ding.Code):
        return code.value
    unknown: ding.UnknownValue = code
    return unknown


async def the_fake() -> None:
    fake = FakeDing(clock=ManualClock())
    async with fake.async_client() as client:
        await client.otp.create_authentication(phone_number="+14155550123")
        fake.clock.advance(600)
    FakeDing().clock.advance(dt.timedelta(minutes=1))
    FakeDing().clock.set(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))


def a_test_with_the_fixtures(ding_client: ding.Ding, ding_fake: FakeDing) -> None:
    ding_client.otp.create_authentication(phone_number="+14155550123")
    ding_fake.clock.advance(3600)


def fake_settings() -> None:
    FakeSettings(lifetime=60, retry_interval=0.5, api_keys={"key"})
    FakeSettings(lifetime=dt.timedelta(minutes=5), customer_uuids=["u1", "u2"])
    FakeSettings(api_keys="secret-key")  # type: ignore[arg-type]
    FakeSettings(lifetime="60")  # type: ignore[arg-type]
