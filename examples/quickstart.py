"""The whole OTP flow: send a code, check it, retry, read the history.

Without ``DING_API_KEY`` this runs against the fake Ding API that ships in
the package (``ding.testing``): no account, no network, no SMS. It reads the
code the fake "sent" from its outbox, where a real user would type it.

With ``DING_API_KEY`` and ``DING_CUSTOMER_UUID`` set it talks to the v1
server at ``DING_BASE_URL`` (by default Ding's own, whose removal Ding
announced for April 2026): it sends one SMS to ``DING_PHONE_NUMBER`` and asks
you for the code.

Run it: ``python examples/quickstart.py``
"""

from __future__ import annotations

import datetime as dt
import os

import anyio

import ding
from ding.testing import FakeDing, ManualClock

PHONE_NUMBER = os.environ.get("DING_PHONE_NUMBER", "+14155550123")


def show(step: str, text: str) -> None:
    """Print one step of the walk-through."""
    print(f"{step:<28} {text}")


async def async_flow(client: ding.AsyncDing, fake: FakeDing | None) -> None:
    """Walk through every operation with the async client."""
    sent = await client.otp.create_authentication(phone_number=PHONE_NUMBER)
    auth = sent.create_authentication_response
    if auth is None or auth.authentication_uuid is None:
        raise SystemExit(f"unexpected answer: HTTP {sent.status_code}")
    uuid = auth.authentication_uuid
    show("send a code", f"{auth.status} (authentication {uuid})")

    if fake is None:
        answer = await anyio.to_thread.run_sync(input, "the code you received: ")
        code = answer.strip()
    else:
        message = fake.outbox.last(PHONE_NUMBER)
        assert message is not None
        show("the SMS (from the outbox)", repr(message.content))
        code = message.code

        wrong = await client.otp.check(authentication_uuid=uuid, check_code="000000")
        assert wrong.create_check_response is not None
        show("check a wrong code", str(wrong.create_check_response.status))

        early = await client.otp.retry(authentication_uuid=uuid)
        assert early.retry_authentication_response is not None
        retry = early.retry_authentication_response
        show(
            "retry at once",
            f"{retry.status}: next retry at {retry.next_retry_at:%H:%M:%S} UTC",
        )

        fake.clock.advance(dt.timedelta(seconds=30))
        later = await client.otp.retry(authentication_uuid=uuid)
        assert later.retry_authentication_response is not None
        retry = later.retry_authentication_response
        show(
            "retry 30 s later", f"{retry.status}: {retry.remaining_retry} retries left"
        )
        code = fake.outbox.last_code(PHONE_NUMBER) or code
        show("the new code", code)

    checked = await client.otp.check(authentication_uuid=uuid, check_code=code)
    assert checked.create_check_response is not None
    show("check the right code", str(checked.create_check_response.status))

    history = await client.otp.get_authentication_status(uuid)
    status = history.authentication_status_response
    if status is not None and status.events:
        show("history", f"{len(status.events)} events:")
        for event in status.events:
            kind = type(event).__name__
            detail = getattr(event, "status", None) or getattr(
                event, "balance_update_type", ""
            )
            print(f"{'':<28}   {kind:<15} {detail}")


def sync_flow(client: ding.Ding, fake: FakeDing) -> None:
    """The same start with the sync client, in the seed SDK's style."""
    res = client.otp.post_authentication(
        ding.shared.CreateAuthenticationRequest(phone_number="+33612345678"),
    )
    auth = res.create_authentication_response
    assert auth is not None
    assert auth.authentication_uuid is not None
    code = fake.outbox.last_code("+33612345678") or ""
    check = client.otp.post_check(
        ding.shared.CreateCheckRequest(
            authentication_uuid=auth.authentication_uuid, check_code=code
        ),
    )
    assert check.create_check_response is not None
    show("sync: send, then check", str(check.create_check_response.status))
    lookup = client.lookup.lookup("+33612345678", type_="cnam")
    assert lookup.lookup_response is not None
    number = lookup.lookup_response
    show(
        "sync: look up the number",
        f"{number.country_code}, {number.carrier}, {number.line_type}",
    )


async def on_server() -> None:
    """Send one SMS through the server and check the code you type."""
    async with ding.AsyncDing() as client:
        await async_flow(client, None)


async def on_fake(fake: FakeDing) -> None:
    """Run the async walk-through on the fake."""
    async with fake.async_client() as client:
        await async_flow(client, fake)


def main() -> None:
    """Run the walk-through on a v1 server or on the embedded fake."""
    if os.environ.get("DING_API_KEY"):
        server = os.environ.get("DING_BASE_URL", ding.SERVERS[0])
        print(f"ding {ding.__version__}: talking to {server}\n")
        anyio.run(on_server)
        return
    print(
        f"ding {ding.__version__}: no DING_API_KEY set, using the embedded fake Ding API\n"
    )
    # A hand-moved clock, so the quickstart can show a retry 30 s later at once.
    fake = FakeDing(clock=ManualClock(dt.datetime.now(dt.timezone.utc)))
    anyio.run(on_fake, fake)
    print()
    with fake.client() as client:
        sync_flow(client, fake)
    print(
        "\nDone. Set DING_API_KEY, DING_CUSTOMER_UUID and DING_BASE_URL to run this"
        " against a server that speaks the v1 API."
    )


if __name__ == "__main__":
    main()
