"""Where requests may go: the checks on ``server_url`` and ``DING_BASE_URL``.

The key travels with every request, so a server URL that would leak it (in
clear over the network, or in every repr and log line as credentials) or
send requests somewhere else than the caller meant (a query or fragment that
swallows the operation's path) is refused before anything is sent.
"""

from __future__ import annotations

import traceback

import httpx
import pytest

import ding
from tests._stub import CUSTOMER_UUID, StubDing

CLIENTS = [ding.AsyncDing, ding.Ding]


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-pw@api.example.com/v1",
        "http://user:hunter2-pw@127.0.0.1:8080/v1",
        "https://:hunter2-pw@api.example.com/v1",
    ],
)
def test_credentials_in_the_url_are_refused_without_echo(
    cls: type[ding.AsyncDing | ding.Ding], url: str
) -> None:
    with pytest.raises(ding.UsageError, match="credentials") as info:
        cls(api_key="k", server_url=url)
    shown = "".join(traceback.format_exception(info.value))
    assert "hunter2-pw" not in shown
    assert "hunter2-pw" not in repr(info.value)


@pytest.mark.parametrize(
    "url", ["https://user:hunter2-pw@bad host/v1", "https://u:hunter2-pw@[::1/v1"]
)
def test_an_invalid_url_with_credentials_is_refused_without_echo(url: str) -> None:
    with pytest.raises(ding.UsageError, match="server_url") as info:
        ding.AsyncDing(api_key="k", server_url=url)
    assert "hunter2-pw" not in "".join(traceback.format_exception(info.value))


def test_credentials_in_ding_base_url_are_refused_without_echo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DING_BASE_URL", "https://user:hunter2-pw@api.example.com/v1")
    with pytest.raises(ding.UsageError, match="credentials") as info:
        ding.AsyncDing(api_key="k")
    assert "hunter2-pw" not in "".join(traceback.format_exception(info.value))


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v1?v=1",
        "https://api.example.com/v1?",
        "https://h/v1?{q}",
    ],
)
def test_a_query_is_refused_because_it_would_swallow_the_path(url: str) -> None:
    with pytest.raises(ding.UsageError, match="query"):
        ding.AsyncDing(api_key="k", server_url=url, url_params={"q": "a=b"})


@pytest.mark.parametrize("url", ["https://api.example.com/v1#top", "https://h/v1#"])
def test_a_fragment_is_refused(url: str) -> None:
    with pytest.raises(ding.UsageError, match="fragment"):
        ding.AsyncDing(api_key="k", server_url=url)


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/v1",
        "http://10.0.0.5:8080/v1",
        "http://[2001:db8::1]/v1",
        "http://localhost.example.com/v1",
    ],
)
def test_plain_http_off_loopback_is_refused(
    cls: type[ding.AsyncDing | ding.Ding], url: str
) -> None:
    with pytest.raises(ding.UsageError, match="unencrypted") as info:
        cls(api_key="k", server_url=url)
    # The message says how to opt in.
    assert "allow_insecure_http=True" in str(info.value)
    assert "DING_ALLOW_INSECURE_HTTP" in str(info.value)


def test_plain_http_off_loopback_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DING_BASE_URL", "http://ding-fake:8080/v1")
    with pytest.raises(ding.UsageError, match="unencrypted"):
        ding.AsyncDing(api_key="k")
    for value in ("0", "false", "no", ""):
        monkeypatch.setenv("DING_ALLOW_INSECURE_HTTP", value)
        with pytest.raises(ding.UsageError, match="unencrypted"):
            ding.AsyncDing(api_key="k")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/v1",
        "http://LOCALHOST/v1",
        "http://127.0.0.1:1/v1",
        "http://127.8.9.10/v1",
        "http://[::1]:8080/v1",
        "http://app.localhost/v1",
        "https://api.example.com/v1",
    ],
)
def test_https_and_loopback_are_accepted(url: str) -> None:
    assert ding.AsyncDing(api_key="k", server_url=url).server_url == url


@pytest.mark.parametrize("cls", CLIENTS)
def test_plain_http_is_accepted_when_the_caller_opts_in(
    cls: type[ding.AsyncDing | ding.Ding],
) -> None:
    url = "http://ding-fake:8080/v1"
    client = cls(api_key="k", server_url=url, allow_insecure_http=True)
    assert client.server_url == url


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes"])
def test_plain_http_is_accepted_when_the_environment_opts_in(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DING_BASE_URL", "http://ding-fake:8080/v1")
    monkeypatch.setenv("DING_ALLOW_INSECURE_HTTP", value)
    assert ding.AsyncDing(api_key="k").server_url == "http://ding-fake:8080/v1"


def test_with_options_checks_the_new_url_and_keeps_the_opt_in() -> None:
    strict = ding.AsyncDing(api_key="k")
    with pytest.raises(ding.UsageError, match="unencrypted"):
        strict.with_options(server_url="http://ding-fake:8080/v1")
    with pytest.raises(ding.UsageError, match="query"):
        strict.with_options(server_url="https://api.example.com/v1?v=1")
    trusting = ding.AsyncDing(api_key="k", allow_insecure_http=True)
    copy = trusting.with_options(server_url="http://ding-fake:8080/v1")
    assert copy.server_url == "http://ding-fake:8080/v1"
    # Withdrawing the opt-in checks the URL in use again.
    with pytest.raises(ding.UsageError, match="unencrypted"):
        copy.with_options(allow_insecure_http=False)
    allowed = strict.with_options(
        server_url="http://ding-fake:8080/v1", allow_insecure_http=True
    )
    assert allowed.server_url == "http://ding-fake:8080/v1"


def test_allow_insecure_http_must_be_a_bool() -> None:
    with pytest.raises(ding.UsageError, match="allow_insecure_http"):
        ding.AsyncDing(api_key="k", allow_insecure_http="yes")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_requests_go_to_the_operation_path_under_the_base_url() -> None:
    # A trailing slash or none: the operation path follows the base path.
    stub = StubDing()
    for base in ("https://stub.test/v1", "https://stub.test/v1/"):
        async with httpx.AsyncClient(transport=stub.async_transport()) as http:
            client = ding.AsyncDing(
                api_key="k", server_url=base, client=http, customer_uuid=CUSTOMER_UUID
            )
            await client.otp.check(authentication_uuid="a", check_code="1")
        assert stub.requests[-1].url == "https://stub.test/v1/check"


@pytest.mark.parametrize(
    "url",
    ["http://localhost./v1", "http://app.localhost./v1", "http://App.LocalHost/v1"],
)
def test_loopback_names_are_accepted_with_a_trailing_dot_or_in_any_case(
    url: str,
) -> None:
    # "localhost." is the same host written as a fully qualified name, and
    # host names are case-insensitive: all of them are this machine.
    assert ding.AsyncDing(api_key="k", server_url=url).server_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://[::1/v1", "server_url is not a valid URL"),
        (
            "https://user:hunter2-pw@api.example.com/v1",
            (
                "server_url must not contain credentials (user:password@): they "
                "would show wherever the URL does; the API key goes in api_key="
            ),
        ),
        (
            "ftp://api.example.com/v1",
            (
                "server_url must be an absolute http(s) URL, "
                "got 'ftp://api.example.com/v1'"
            ),
        ),
        (
            "https://api.example.com/v1?v=1",
            (
                "server_url must not contain a query ('?...'), got "
                "'https://api.example.com/v1?v=1': the operation's path would "
                "be appended after it"
            ),
        ),
        (
            "http://api.example.com/v1",
            (
                "server_url 'http://api.example.com/v1' is plain http to a host "
                "that is not loopback: the API key would cross the network "
                "unencrypted. Use https, or, for a trusted network (a fake Ding "
                "server in a container, say), pass allow_insecure_http=True or "
                "set DING_ALLOW_INSECURE_HTTP=1"
            ),
        ),
    ],
)
def test_a_refused_server_url_says_why_in_full(
    url: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each message says what is wrong; only a URL without credentials is shown.
    monkeypatch.delenv("DING_ALLOW_INSECURE_HTTP", raising=False)
    with pytest.raises(ding.UsageError) as info:
        ding.AsyncDing(api_key="k", server_url=url)
    assert str(info.value) == message


def test_only_trailing_slashes_are_taken_off_a_server_url() -> None:
    client = ding.AsyncDing(api_key="k", server_url="https://api.example.com/apiX/")
    assert client.server_url == "https://api.example.com/apiX"
