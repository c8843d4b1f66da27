"""Drive the whole OTP flow with the official SDK against the fake, over TCP.

Run by ``nox -s conformance`` in an environment where ``ding`` is the
official ``ding-api-client`` 3.9.120 (both packages are named ``ding``, so
this project is not installed there; the fake runs from the source tree in
another process). Every answer of the fake must be one the official SDK
decodes: its enums are closed, so a value outside the contract would crash
it with ``ValueError``.

Usage: python tests/conformance/official_sdk_flow.py BASE_URL
"""

from __future__ import annotations

import importlib
import json
import sys
import urllib.parse
import urllib.request
from typing import Any

PHONE = "+14155550123"
CUSTOMER = "28591d9e-a825-47f6-ab11-1a61726305bf"
RATE_LIMITED_NUMBER = "+15005550001"


def last_code(root: str, phone_number: str) -> str:
    """Read the last code the fake sent to *phone_number*."""
    query = urllib.parse.urlencode({"phone_number": phone_number})
    with urllib.request.urlopen(f"{root}/_fake/outbox/last?{query}") as answer:  # noqa: S310 - our loopback fake
        return str(json.load(answer)["code"])


def step(name: str, value: object) -> None:
    """Print one step and what it returned."""
    print(f"  {name:<32} {value}")


def main(base_url: str) -> int:  # noqa: PLR0915 - one straight walk through the API
    """Run the flow; return the exit status."""
    # Imported by name: here `ding` is the official SDK, not this project.
    sdk: Any = importlib.import_module("ding")
    components: Any = importlib.import_module("ding.models.components")
    operations: Any = importlib.import_module("ding.models.operations")
    errors: Any = importlib.import_module("ding.models.errors")
    if hasattr(sdk, "AsyncDing"):
        print(
            "this must run against the official SDK, not this project", file=sys.stderr
        )
        return 2
    root = base_url.removesuffix("/v1")
    s = sdk.Ding(api_key="any-key", server_url=base_url)
    print(f"official SDK against {base_url}")

    created = s.otp.create_authentication(
        components.CreateAuthenticationRequest(
            customer_uuid=CUSTOMER,
            phone_number=PHONE,
            device_type=components.DeviceType.IOS,
            app_version="1.0.0",
            correlation_id="conformance",
        ),
    )
    auth = created.create_authentication_response
    assert auth.status == components.Status.PENDING, auth
    uuid = auth.authentication_uuid
    step("create_authentication", auth.status)

    wrong = s.otp.check(
        components.CreateCheckRequest(
            customer_uuid=CUSTOMER,
            authentication_uuid=uuid,
            check_code="000000x",
        ),
    )
    assert wrong.create_check_response.status == components.CheckStatus.INVALID
    step("check (wrong code)", wrong.create_check_response.status)

    early = s.otp.retry(
        components.RetryAuthenticationRequest(
            customer_uuid=CUSTOMER, authentication_uuid=uuid
        ),
    )
    retry = early.retry_authentication_response
    assert retry.status == components.RetryAuthenticationResponseStatus.DENIED
    assert retry.next_retry_at is not None
    step("retry (too early)", retry.status)

    code = last_code(root, PHONE)
    right = s.otp.check(
        components.CreateCheckRequest(
            customer_uuid=CUSTOMER, authentication_uuid=uuid, check_code=code
        ),
    )
    assert right.create_check_response.status == components.CheckStatus.VALID
    step("check (right code)", right.create_check_response.status)

    after = s.otp.retry(
        components.RetryAuthenticationRequest(
            customer_uuid=CUSTOMER, authentication_uuid=uuid
        ),
    )
    status = after.retry_authentication_response.status
    assert status == components.RetryAuthenticationResponseStatus.ALREADY_VALIDATED
    step("retry (after validation)", status)

    history = s.otp.get_authentication_status(
        auth_uuid=uuid
    ).authentication_status_response
    assert history.phone_number == PHONE
    assert history.events
    step("get_authentication_status", f"{len(history.events)} events")

    feedback = s.otp.feedback(
        components.FeedbackRequest(
            customer_uuid=CUSTOMER,
            phone_number=PHONE,
            status=components.FeedbackRequestStatus.ONBOARDED,
        ),
    )
    assert feedback.feedback_response.uuid
    step("feedback", feedback.feedback_response.uuid)

    looked = s.lookup.lookup(
        phone_number=PHONE,
        customer_uuid=CUSTOMER,
        type_=[operations.Type.CNAM],
    ).lookup_response
    assert looked.country_code == "US"
    assert looked.caller_name
    step("lookup (cnam)", f"{looked.carrier}, {looked.line_type}")

    limited = s.otp.create_authentication(
        components.CreateAuthenticationRequest(
            customer_uuid=CUSTOMER, phone_number=RATE_LIMITED_NUMBER
        ),
    )
    assert (
        limited.create_authentication_response.status == components.Status.RATE_LIMITED
    )
    step("create (reserved number)", limited.create_authentication_response.status)

    refused: Any = None
    try:
        s.otp.create_authentication(
            components.CreateAuthenticationRequest(
                customer_uuid=CUSTOMER, phone_number="+0"
            ),
        )
    except errors.ErrorResponse as exc:
        refused = exc
    if refused is None or refused.code != errors.Code.INVALID_PHONE_NUMBER:
        print(f"an invalid phone number was not refused: {refused!r}", file=sys.stderr)
        return 1
    step("create (invalid number)", refused.code)
    print("the official SDK completed the flow")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
