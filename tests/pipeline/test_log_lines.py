"""The SDK's log lines: off by default, DING_LOG, one line per attempt, masked."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Final

import httpx
import pytest

import ding
from ding._pipeline._log import mask, request_line, setup_from_env
from ding.testing import DEFAULT_CUSTOMER_UUID, FakeDing, Fault
from ding.utils import BackoffStrategy, RetryConfig
from tests._stub import AUTH_UUID, CUSTOMER_UUID, json_reply

if TYPE_CHECKING:
    from collections.abc import Generator

    from tests._stub import StubDing
    from tests.conftest import Connect

pytestmark = pytest.mark.anyio

ROOT: Final = str(Path(__file__).resolve().parents[2])
KEY: Final = "sk-live-do-not-log"
PHONE: Final = "+14155550123"
CODE: Final = "864209"
FAST: Final = RetryConfig(
    "backoff", BackoffStrategy(1, 5, 1.5, 5_000), retry_connection_errors=True
)


def run_with_log(url: str, value: str | None) -> subprocess.CompletedProcess[str]:
    code = f"""
        import ding
        with ding.Ding(api_key={KEY!r}, server_url={url!r},
                       customer_uuid={CUSTOMER_UUID!r}) as client:
            client.otp.create_authentication(phone_number={PHONE!r})
            client.otp.check(authentication_uuid={AUTH_UUID!r}, check_code={CODE!r})
            client.otp.get_authentication_status({AUTH_UUID!r})
            client.lookup.lookup({PHONE!r})
    """
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("DING_LOG", None)
    if value is not None:
        env["DING_LOG"] = value
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("value", [None, "", "off", "warning", "verbose", "1"])
def test_off_unless_asked(tcp_stub: tuple[StubDing, str], value: str | None) -> None:
    result = run_with_log(tcp_stub[1], value)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("value", ["info", "INFO", "debug", " Debug "])
def test_ding_log_prints_one_masked_line_per_call(
    tcp_stub: tuple[StubDing, str], value: str
) -> None:
    result = run_with_log(tcp_stub[1], value)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 4, result.stderr
    assert all(" INFO ding: " in line for line in lines)
    assert "POST /v1/authentication 200 attempt 1 " in lines[0]
    assert "POST /v1/check 200 attempt 1 " in lines[1]
    assert f"GET /v1/authentication/{AUTH_UUID[:4]}… 200 attempt 1 " in lines[2]
    assert "GET /v1/lookup/+*********23 200 attempt 1 " in lines[3]
    assert all(line.endswith(" ms") for line in lines)
    for secret in (KEY, PHONE, PHONE[1:], PHONE[2:], CODE, AUTH_UUID, CUSTOMER_UUID):
        assert secret not in result.stderr


def test_ding_log_leaves_a_configured_logger_alone() -> None:
    code = """
        import logging, sys
        logging.basicConfig(stream=sys.stdout, level=logging.WARNING)
        import ding
        assert not logging.getLogger("ding").handlers
        assert logging.getLogger("ding").level == logging.INFO
    """
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": ROOT, "DING_LOG": "info"},
        check=False,
    )
    assert result.returncode == 0, result.stderr


@contextlib.contextmanager
def bare_logging() -> Generator[logging.Logger]:
    """No handler on the "ding" or the root logger, no level: a fresh process.

    What `import ding` meets before it reads DING_LOG; the loggers are
    restored after, in the test itself (pytest's own handlers on the root
    logger come and go with each phase of a test).
    """
    sdk, root = logging.getLogger("ding"), logging.getLogger()
    handlers, root_handlers, level = sdk.handlers[:], root.handlers[:], sdk.level
    sdk.handlers.clear()
    root.handlers.clear()
    sdk.setLevel(logging.NOTSET)
    try:
        yield sdk
    finally:
        sdk.handlers[:] = handlers
        root.handlers[:] = root_handlers
        sdk.setLevel(level)


# In this process, what `import ding` does with DING_LOG (setup_from_env);
# the tests above run it at import, in a process of their own.
@pytest.mark.parametrize(
    ("value", "level"),
    [("info", logging.INFO), ("INFO", logging.INFO), (" Debug ", logging.DEBUG)],
)
def test_ding_log_sets_the_level_and_prints_to_stderr(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    level: int,
) -> None:
    # docs/logging.md: DING_LOG=info or debug, any case, gets the SDK's
    # lines on stderr, as "<time> INFO ding: <line>".
    monkeypatch.setenv("DING_LOG", value)
    with bare_logging() as sdk:
        setup_from_env()
        assert sdk.level == level
        sdk.info("GET /v1/check 200 attempt 1 2.0 ms")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO ding: "
        r"GET /v1/check 200 attempt 1 2\.0 ms\n",
        captured.err,
    ), captured.err


@pytest.mark.parametrize("value", [None, "", "off", "warning"])
def test_without_ding_log_logging_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    # docs/logging.md: configures nothing by default; anything but info or
    # debug means off.
    monkeypatch.delenv("DING_LOG", raising=False)
    if value is not None:
        monkeypatch.setenv("DING_LOG", value)
    with bare_logging() as sdk:
        setup_from_env()
        assert sdk.handlers == []
        assert sdk.level == logging.NOTSET


def test_ding_log_after_basic_config_only_sets_the_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/logging.md: with logging.basicConfig done first (a handler on the
    # root logger), DING_LOG only sets the "ding" logger's level: no second
    # handler, so each line shows once.
    monkeypatch.setenv("DING_LOG", "info")
    with bare_logging() as sdk:
        logging.getLogger().addHandler(logging.NullHandler())
        setup_from_env()
        assert sdk.handlers == []
        assert sdk.level == logging.INFO


def test_ding_log_leaves_the_apps_own_ding_logger_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/logging.md: a handler only if the "ding" logger has none; a
    # level the app set stays.
    monkeypatch.setenv("DING_LOG", "debug")
    with bare_logging() as sdk:
        own = logging.NullHandler()
        sdk.addHandler(own)
        sdk.setLevel(logging.WARNING)
        setup_from_env()
        assert sdk.handlers == [own]
        assert sdk.level == logging.WARNING


@pytest.mark.in_process_only(
    reason="scripts an httpx connect error, which only a transport can raise"
)
async def test_one_line_per_attempt_with_retries(
    connect: Connect, stub: StubDing, caplog: pytest.LogCaptureFixture
) -> None:
    client = connect(api_key=KEY, max_retries=3, retry_config=FAST)
    stub.script.extend(
        [
            json_reply(503, {"code": "busy", "message": "busy"}),
            httpx.ConnectError("refused"),
        ]
    )
    with caplog.at_level(logging.DEBUG, logger="ding"):
        await client.otp.get_authentication_status(AUTH_UUID)
    attempts = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [m.split(" ms")[0].rsplit(" ", 1)[0] for m in attempts] == [
        "GET /v1/authentication/b96e… 503 attempt 1",
        "GET /v1/authentication/b96e… ConnectError attempt 2",
        "GET /v1/authentication/b96e… 200 attempt 3",
    ]
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (KEY, AUTH_UUID):
        assert secret not in text


async def test_no_line_when_off(
    connect: Connect, stub: StubDing, caplog: pytest.LogCaptureFixture
) -> None:
    client = connect(api_key=KEY, max_retries=0)
    with caplog.at_level(logging.WARNING, logger="ding"):
        await client.otp.create_authentication(phone_number=PHONE)
    assert caplog.records == []
    assert stub.requests


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"/v1/lookup/{CUSTOMER_UUID}/{PHONE}", "/v1/lookup/2859…/+*********23"),
        ("/v1/lookup/c/%2B14155550123", "/v1/lookup/c/+*********23"),
        ("/v1/lookup/c/33612345678", "/v1/lookup/c/+*********78"),
        # As typed, sent as it is without the phonenumbers extra.
        ("/v1/lookup/+33 6 12 34 56 78", "/v1/lookup/+*********78"),
        ("/v1/lookup/+1 (415) 555-0123", "/v1/lookup/+*********23"),
        (f"/v1/authentication/{AUTH_UUID.upper()}", "/v1/authentication/B96E…"),
        ("/v1/check", "/v1/check"),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://h/v1/lookup/%2B33612345678?type=cnam", "GET /v1/lookup/+*********78"),
        ("https://h/v1/lookup/+33 6 12 34 56 78", "GET /v1/lookup/+*********78"),
        # The UUID stays: an error message may go into a support request.
        (
            f"https://h/v1/authentication/{AUTH_UUID}",
            f"GET /v1/authentication/{AUTH_UUID}",
        ),
    ],
)
def test_request_line(url: str, shown: str) -> None:
    assert request_line(httpx.Request("GET", url)) == shown


@pytest.mark.in_process_only(
    reason="scripts an httpx connect error, which only a transport can raise"
)
async def test_an_error_message_masks_the_lookups_number(
    connect: Connect, stub: StubDing
) -> None:
    client = connect(api_key=KEY, max_retries=0)
    stub.script.append(httpx.ConnectError("refused"))
    with pytest.raises(ding.APIConnectionError) as failed:
        await client.lookup.lookup(PHONE)
    for shown in (str(failed.value), repr(failed.value)):
        assert "GET /v1/lookup/+*********23: " in shown
        assert PHONE[1:] not in shown


@pytest.mark.in_process_only(
    reason="scripts an httpx connect error, which only a transport can raise"
)
async def test_debug_adds_a_line_per_retry_with_its_wait(
    connect: Connect, stub: StubDing, caplog: pytest.LogCaptureFixture
) -> None:
    # docs/logging.md: "DEBUG adds a line per retry (the wait before it)":
    # the operation, what failed, the retry's number and the wait.
    client = connect(api_key=KEY, max_retries=3, retry_config=FAST)
    stub.script.extend(
        [
            json_reply(503, {"code": "busy", "message": "busy"}),
            httpx.ConnectError("refused"),
        ]
    )
    with caplog.at_level(logging.DEBUG, logger="ding"):
        await client.lookup.lookup(PHONE)
    retries = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(retries) == 2
    assert re.fullmatch(
        r"GET lookup failed \(ServerError\); retry 1 in \d+\.\d\ds", retries[0]
    )
    assert re.fullmatch(
        r"GET lookup failed \(ConnectError\); retry 2 in \d+\.\d\ds", retries[1]
    )


async def test_a_request_sent_again_on_a_new_connection_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The fake drops the second request unanswered, on the connection the
    # first left open: the SDK sends it once more, within the same attempt.
    fake = FakeDing()
    with fake.serve() as server:
        async with ding.AsyncDing(
            api_key=KEY,
            server_url=server.url + "/v1",
            customer_uuid=DEFAULT_CUSTOMER_UUID,
            max_retries=0,
        ) as client:
            await client.lookup.lookup(PHONE)
            fake.faults.inject("lookup", Fault.drop_before_response())
            with caplog.at_level(logging.INFO, logger="ding"):
                await client.lookup.lookup(PHONE)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "ding"]
    assert line.startswith("GET /v1/lookup/+*********23 200 attempt 1 ")
    assert line.endswith(
        " ms, sent again: the reused connection closed before answering"
    )
    assert fake.faults.calls("lookup") == 3
