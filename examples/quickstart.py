"""Send a code, check it: the whole OTP flow in a few lines.

With ``DING_API_KEY`` and ``DING_CUSTOMER_UUID`` set, this talks to the real
Ding API and sends one SMS to ``DING_PHONE_NUMBER``. Without them it is meant
to run against the embedded fake server (``ding.testing``), which is not part
of this release yet: it then says so and exits.
"""

from __future__ import annotations

import os

import anyio

import ding


async def main() -> None:
    """Send one code through the real API and show what came back."""
    phone_number = os.environ.get("DING_PHONE_NUMBER", "+14155550123")
    async with ding.AsyncDing() as client:
        sent = await client.otp.create_authentication(phone_number=phone_number)
        auth = sent.create_authentication_response
        if auth is None:
            raise SystemExit(f"unexpected answer: HTTP {sent.status_code}")
        print(f"sent a code to {phone_number}: {auth.status}")
        print(f"authentication_uuid: {auth.authentication_uuid}")
        print(f"expires at: {auth.expires_at}")


if __name__ == "__main__":
    if os.environ.get("DING_API_KEY") is None:
        print(
            f"ding {ding.__version__} is installed.\n"
            "No DING_API_KEY is set, and the embedded fake Ding server "
            "(ding.testing) that this quickstart runs against by default has "
            "not landed yet, so there is nothing to talk to. Set DING_API_KEY "
            "and DING_CUSTOMER_UUID to use the real API.",
        )
    else:
        anyio.run(main)
