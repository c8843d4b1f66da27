"""The three examples of the seed interface document run as written.

The code below is the document's, character for character, except that the
client also gets ``server_url`` pointing at the local stub. Each example runs
on `ding.Ding` as written and on `ding.AsyncDing` with the call awaited, as
the SDK installed without its ``phonenumbers`` extra runs it: with the
extra, the document's number, +1234567890, is refused before sending, since
no number of the +1 zone is that short (the last test).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import pytest

import ding
from ding._schema import _phone

if TYPE_CHECKING:
    from tests._stub import StubDing


@pytest.fixture
def without_phonenumbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Numbers are sent as given, as where ``phonenumbers`` is not installed."""
    monkeypatch.setattr(_phone, "available", lambda: False)


POST_AUTHENTICATION = """\
import ding
from ding.models import shared

s = ding.Ding(
    api_key="",
)

req = shared.CreateAuthenticationRequest(
    app_realm='1234567890',
    app_version='1.0.0',
    callback_url='https://example.com/callback',
    customer_uuid='28591d9e-a825-47f6-ab11-1a61726305bf',
    device_id='1234567890',
    device_model='iPhone 15 Pro',
    os_version='13.2.1',
    phone_number='+1234567890',
)

res = s.otp.post_authentication(req)

if res.create_authentication_response is not None:
    # handle response
    pass
"""

POST_CHECK = """\
import ding
from ding.models import shared

s = ding.Ding(
    api_key="",
)

req = shared.CreateCheckRequest(
    authentication_uuid='b96e4807-1510-4bd2-8106-8ca1a09d679e',
    check_code='123456',
    customer_uuid='b193166e-1ee3-41d3-9acb-9c9ac7f10712',
)

res = s.otp.post_check(req)

if res.create_check_response is not None:
    # handle response
    pass
"""

POST_RETRY = """\
import ding
from ding.models import shared

s = ding.Ding(
    api_key="",
)

req = shared.RetryAuthenticationRequest(
    authentication_uuid='32ca23f2-1d21-434e-a8c9-89320993ec98',
    customer_uuid='f5d6d1dc-4ce6-4232-8707-1b4af2d537d4',
)

res = s.otp.post_retry(req)

if res.retry_authentication_response is not None:
    # handle response
    pass
"""

EXAMPLES = {
    "post_authentication": (POST_AUTHENTICATION, "create_authentication_response"),
    "post_check": (POST_CHECK, "create_check_response"),
    "post_retry": (POST_RETRY, "retry_authentication_response"),
}


def pointed_at(source: str, url: str) -> str:
    marker = 's = ding.Ding(\n    api_key="",\n)'
    assert marker in source
    return source.replace(
        marker, f's = ding.Ding(\n    api_key="",\n    server_url={url!r},\n)'
    )


def awaited(source: str) -> str:
    """Turn an example into an async function on AsyncDing, awaiting the call."""
    source = source.replace("ding.Ding(", "ding.AsyncDing(").replace(
        "res = s.otp.", "res = await s.otp."
    )
    body = textwrap.indent(source + "return res, s\n", "    ")
    return "async def example():\n" + body


@pytest.mark.usefixtures("without_phonenumbers")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_sync_example_runs_as_written(
    name: str, tcp_stub: tuple[StubDing, str]
) -> None:
    stub, url = tcp_stub
    source, field = EXAMPLES[name]
    namespace: dict[str, Any] = {}
    exec(compile(pointed_at(source, url), f"<seed {name}>", "exec"), namespace)  # noqa: S102
    res = namespace["res"]
    assert res.status_code == 200
    assert getattr(res, field) is not None
    assert getattr(res, field).authentication_uuid is not None
    assert stub.last.headers["x-api-key"] == ""
    namespace["s"].close()


@pytest.mark.anyio
@pytest.mark.usefixtures("without_phonenumbers")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
async def test_async_example_runs_awaited(
    name: str, tcp_stub: tuple[StubDing, str]
) -> None:
    _, url = tcp_stub
    source, field = EXAMPLES[name]
    namespace: dict[str, Any] = {}
    exec(compile(awaited(pointed_at(source, url)), f"<seed {name}>", "exec"), namespace)  # noqa: S102
    res, client = await namespace["example"]()
    assert res.status_code == 200
    assert getattr(res, field) is not None
    assert getattr(res, field).authentication_uuid is not None
    await client.aclose()


def test_with_phonenumbers_the_documents_number_is_refused_before_sending(
    tcp_stub: tuple[StubDing, str],
) -> None:
    stub, url = tcp_stub
    namespace: dict[str, Any] = {}
    source = pointed_at(POST_AUTHENTICATION, url)
    with pytest.raises(ding.InvalidPhoneNumberError) as caught:
        exec(compile(source, "<seed post_authentication>", "exec"), namespace)  # noqa: S102
    assert caught.value.reason == "too_short"
    assert stub.requests == []
    namespace["s"].close()
