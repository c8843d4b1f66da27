"""``python -m ding.testing``: binds loopback, prints its URL, stops cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import ding

ROOT = Path(__file__).resolve().parent.parent.parent


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ding.testing", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    return process, url


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serves_the_api_and_stops_on_signal(stop: signal.Signals) -> None:
    process, url = start("--seed", "3")
    try:
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/v1")
        with ding.Ding(
            api_key="any",
            server_url=url,
            customer_uuid="28591d9e-a825-47f6-ab11-1a61726305bf",
        ) as client:
            res = client.otp.create_authentication(phone_number="+14155550123")
            assert res.create_authentication_response is not None
        root = url.removesuffix("/v1")
        last = httpx.get(
            f"{root}/_fake/outbox/last", params={"phone_number": "+14155550123"}
        )
        assert last.status_code == 200
        assert last.json()["code"].isdigit()
    finally:
        process.send_signal(stop)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_strict_mode_options() -> None:
    customer = "7f3c1e2a-0000-4000-8000-000000000001"
    process, url = start(
        "--strict",
        "--api-key",
        "sekret",
        "--customer-uuid",
        customer,
        "--max-invalid-checks",
        "1",
    )
    try:
        denied = httpx.post(
            f"{url}/authentication", json={}, headers={"x-api-key": "wrong"}
        )
        assert denied.status_code == 403
        assert denied.json() == {"message": "Forbidden"}
        with ding.Ding(
            api_key="sekret", server_url=url, customer_uuid=customer
        ) as client:
            auth = client.otp.create_authentication(phone_number="+14155550123")
            assert auth.create_authentication_response is not None
            uuid = auth.create_authentication_response.authentication_uuid
            assert uuid is not None
            first = client.otp.check(authentication_uuid=uuid, check_code="nope")
            second = client.otp.check(authentication_uuid=uuid, check_code="nope")
            assert first.create_check_response is not None
            assert second.create_check_response is not None
            assert first.create_check_response.status == "invalid"
            assert second.create_check_response.status == "rate_limited"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_idle_timeout_options() -> None:
    process, url = start("--idle-timeout", "0.25", "--announce-idle-timeout")
    try:
        root = url.removesuffix("/v1")
        health = httpx.get(f"{root}/_fake/health")
        assert health.headers["keep-alive"] == "timeout=0.25"
        parts = urlsplit(root)
        assert parts.hostname is not None
        assert parts.port is not None
        address = (parts.hostname, parts.port)
        with (
            socket.create_connection(address, timeout=5) as idle,
            contextlib.suppress(ConnectionResetError),
        ):
            assert idle.recv(1) == b""  # closed by the server, not timed out
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err


def test_port_in_use_is_a_clear_error() -> None:
    process, url = start()
    try:
        port = url.rsplit(":", 1)[1].split("/")[0]
        clash = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "ding.testing", "--port", port],
            capture_output=True,
            text=True,
            timeout=20,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert clash.returncode == 1
        assert "cannot serve" in clash.stderr
        assert "Traceback" not in clash.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


@pytest.mark.parametrize(
    "options",
    [
        ["--lifetime", "0"],
        ["--retry-interval", "nan"],
        ["--max-retries", "-1"],
        ["--lifetime", "1e300"],
        ["--idle-timeout", "0"],
        ["--idle-timeout", "-1"],
        ["--idle-timeout", "nan"],
        ["--idle-timeout", "inf"],
        ["--announce-idle-timeout"],
        ["--port", "99999"],
        ["--port", "-1"],
    ],
)
def test_bad_options_are_usage_errors(options: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ding.testing", *options],
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def _requests_logged(quiet: bool) -> list[str]:
    process, url = start(
        "--strict", "--api-key", "sk_cli_log_secret", *(["--quiet"] if quiet else [])
    )
    try:
        httpx.post(
            f"{url}/authentication",
            json={"phone_number": "+14155550123"},
            headers={"x-api-key": "sk_wrong_log_secret"},
        )
        httpx.get(
            f"{url}/lookup/%2B14155550123", headers={"x-api-key": "sk_cli_log_secret"}
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert "secret" not in err
    return [line for line in err.splitlines() if "listening on" not in line]


def test_each_request_is_logged_to_stderr() -> None:
    lines = _requests_logged(quiet=False)
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        "POST /v1/authentication 403",
        "GET /v1/lookup/+14155550123 400",
    ]
    assert all(line.endswith(" ms") for line in lines)
    assert all(float(line.split()[-2]) >= 0 for line in lines)


def test_quiet_logs_no_request() -> None:
    assert _requests_logged(quiet=True) == []
