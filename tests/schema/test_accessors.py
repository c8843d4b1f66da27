"""The results' typed accessors: a value when the answer has it, else an error.

``res.authentication_uuid`` and ``res.status`` promise a value (no Optional
to narrow); the seed-style fields stay Optional and never raise.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import httpx
import pytest

import ding
from ding.models import operations, shared
from ding.testing import FakeDing, ManualClock

if TYPE_CHECKING:
    from collections.abc import Iterator

PHONE = "+14155550123"
CUSTOMER = "28591d9e-a825-47f6-ab11-1a61726305bf"
SECRET = "sk-secret-key-0123456789"  # noqa: S105 - a test key


def test_a_normal_flow_reads_typed_values() -> None:
    fake = FakeDing(clock=ManualClock())
    with fake.client() as client:
        sent = client.otp.create_authentication(phone_number=PHONE)
        auth_uuid = sent.authentication_uuid
        body = sent.create_authentication_response
        assert body is not None
        assert isinstance(auth_uuid, str)
        assert auth_uuid == body.authentication_uuid
        assert sent.status is shared.Status.PENDING
        wrong = client.otp.check(authentication_uuid=auth_uuid, check_code="x")
        assert wrong.status is shared.CheckStatus.INVALID
        fake.clock.advance(60)  # past the retry interval, before expiry
        again = client.otp.retry(authentication_uuid=auth_uuid)
        assert again.status is shared.RetryAuthenticationResponseStatus.APPROVED
        code = fake.outbox.last_code(PHONE)  # the retry's code
        assert code is not None
        checked = client.otp.check(authentication_uuid=auth_uuid, check_code=code)
        assert checked.status is shared.CheckStatus.VALID


@pytest.fixture
def answering() -> Iterator[list[object]]:
    """A sync client whose server answers 200 with the JSON put in the list."""
    bodies: list[object] = []

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bodies.pop(0))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    with ding.Ding(api_key=SECRET, customer_uuid=CUSTOMER, client=http) as client:
        bodies.append(client)
        yield bodies


def client_of(bodies: list[object]) -> ding.Ding:
    client = bodies.pop(0)
    assert isinstance(client, ding.Ding)
    return client


def test_a_missing_uuid_names_the_field_and_the_status(
    answering: list[object],
) -> None:
    client = client_of(answering)
    answering.append({"status": "spam_detected"})
    sent = client.otp.create_authentication(phone_number=PHONE)
    # Decoding accepted the answer; the seed-style field is just None.
    body = sent.create_authentication_response
    assert body is not None
    assert body.authentication_uuid is None
    assert sent.status is shared.Status.SPAM_DETECTED
    with pytest.raises(ding.MissingFieldError) as caught:
        _ = sent.authentication_uuid
    error = caught.value
    assert isinstance(error, ding.MalformedResponseError)
    assert error.message == (
        "no authentication_uuid in the answer (status spam_detected)"
    )
    assert error.field == "authentication_uuid"
    assert error.status_code == 200
    assert error.raw_response is sent.raw_response
    assert '"spam_detected"' in error.body
    for text in (str(error), repr(error), error.body):
        assert SECRET not in text
    assert pickle.loads(pickle.dumps(error)).field == "authentication_uuid"  # noqa: S301


@pytest.mark.parametrize(
    ("operation", "answer"),
    [("check", {}), ("retry", {"remaining_retry": 2})],
)
def test_a_missing_status_is_named(
    answering: list[object], operation: str, answer: dict[str, object]
) -> None:
    client = client_of(answering)
    answering.append(answer)
    if operation == "check":
        res: operations.PostCheckResponse | operations.PostRetryResponse = (
            client.otp.check(authentication_uuid="a", check_code="1")
        )
    else:
        res = client.otp.retry(authentication_uuid="a")
    with pytest.raises(ding.MissingFieldError, match=r"^no status in the answer:"):
        _ = res.status


def test_a_result_without_a_body() -> None:
    res = operations.PostAuthenticationResponse(
        content_type="application/json", status_code=200
    )
    with pytest.raises(ding.MissingFieldError) as caught:
        _ = res.authentication_uuid
    assert caught.value.message == (
        "no authentication_uuid in the result (no decoded body)"
    )
    assert caught.value.body == ""
    # The error still carries a response, with the result's status.
    assert caught.value.raw_response.status_code == 200
    assert caught.value.status_code == 200


def test_a_long_status_is_cut_short_in_the_message(
    answering: list[object],
) -> None:
    # The message quotes the server's status, at most its first 100
    # characters, with a note of how many were left out.
    client = client_of(answering)
    answering.append({"status": "x" * 250})
    sent = client.otp.create_authentication(phone_number=PHONE)
    with pytest.raises(ding.MissingFieldError) as caught:
        _ = sent.authentication_uuid
    assert caught.value.message == (
        f"no authentication_uuid in the answer (status {'x' * 100}"
        "... [150 more characters])"
    )


def test_an_unread_raw_response_gives_an_empty_body() -> None:
    # A hand-built result whose response was never read: the error's body
    # is "" (nothing was read), and str() shows no body line.
    unread = httpx.Response(200, stream=httpx.ByteStream(b'{"status": "pending"}'))
    res = operations.PostAuthenticationResponse(
        content_type="application/json", status_code=200, raw_response=unread
    )
    with pytest.raises(ding.MissingFieldError) as caught:
        _ = res.authentication_uuid
    assert caught.value.body == ""
    assert caught.value.raw_response is unread
    assert str(caught.value) == (
        "no authentication_uuid in the result (no decoded body): Status 200"
    )


def test_hand_built_results_answer_too() -> None:
    res = operations.PostCheckResponse(
        content_type="application/json",
        status_code=200,
        create_check_response=shared.CreateCheckResponse(status="valid"),
    )
    assert res.status == "valid"
