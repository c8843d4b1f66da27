"""The first-call stall probe: how long a fresh process's first call blocks its loop.

Each run is a fresh process, as an application's first request is:
``python -m benchmarks._stall VARIANT --url API_URL`` imports the client's
library before any event loop runs (as the top of an application's module
does), then runs ``asyncio.run`` with a ticker task that sleeps 1 ms at a
time and records every wake-up. After the ticker has run 50 ms, the main
task makes its first call, waits 50 ms more, and stops the ticker. A
wake-up later than the 1 ms asked is the loop blocked: by the call's
synchronous work (imports, TLS contexts, building converters), or by
anything else that ran meanwhile.

It prints one JSON line, in seconds: ``stall``, the largest gap between two
wake-ups (less the 1 ms sleep) that overlaps the call, from just before it
(before the client is made, for a client made in the loop) to 5 ms after it
returns; ``idle_stall``, the largest such gap outside that window (this
process's noise, with no call in flight); and ``call``, the call's wall time.

The variants (each is a competitor id of the ``stall`` scenario):

* ``ding-stall-loop``: ``ding.AsyncDing`` made in the running loop, right
  before its first call;
* ``ding-stall-module``: ``ding.AsyncDing`` made before the loop starts, as a
  module-level ``client = ding.AsyncDing(...)`` is;
* ``httpx-stall``: a plain ``httpx.AsyncClient`` made in the running loop,
  the same request: what the SDK's HTTP stack alone costs a first call.

The call is ``POST /v1/authentication`` (send a code) to the fake Ding API
(``ding.testing``) over TCP: it succeeds there for any phone number, where a
check needs an authentication made first.

Like every module of this package, it imports ``ding`` only where it is
used: here as `main` starts, before any loop runs, which is all that an
application's top-level ``import ding`` does that matters to the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import TYPE_CHECKING, Any, Final

from benchmarks._competitors import API_KEY, CUSTOMER, HEADERS, WrongAnswerError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    import httpx

    import ding

__all__ = ["LABELS", "TICK", "VARIANTS", "main"]

#: The ticker's sleep: how finely a stall is seen.
TICK: Final = 0.001
#: How long the ticker runs before the call, and after it.
SETTLE: Final = 0.05
#: How long after the call's end a late wake-up still counts as its stall: a
#: wake-up due just before the end is seen once the loop is free again.
MARGIN: Final = 0.005
#: The number every run sends a code to (the fake accepts it again and again).
PHONE: Final = "+14155550123"
#: What each variant is, as the benchmark and ``scripts/first_call_stall.py`` show it.
LABELS: Final = {
    "ding-stall-loop": "AsyncDing made in the loop",
    "ding-stall-module": "AsyncDing made before the loop",
    "httpx-stall": "httpx.AsyncClient made in the loop",
}
#: The variants, in the order they are shown.
VARIANTS: Final = tuple(LABELS)


class _Ticker:
    """Wakes up every `TICK` and records when, until told to stop."""

    def __init__(self) -> None:
        self.gaps: list[tuple[float, float]] = []
        self.running = True

    async def run(self) -> None:
        last = time.perf_counter()
        while self.running:
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            self.gaps.append((last, now))
            last = now

    def largest(self, start: float, end: float) -> tuple[float, float]:
        """The largest stall within ``[start, end]``, and the largest outside it.

        A gap counts within when it overlaps the window at all: a stall that
        began before the call started still held the loop during it.
        """
        inside = outside = 0.0
        for before, after in self.gaps:
            stall = max(0.0, after - before - TICK)
            if after > start and before < end:
                inside = max(inside, stall)
            else:
                outside = max(outside, stall)
        return inside, outside


class _Ding:
    """``ding.AsyncDing``: create an authentication, check the answer."""

    def __init__(self, api_url: str) -> None:
        import ding  # noqa: PLC0415 - imported before the loop runs (see `main`)

        self.client: ding.AsyncDing | None = None
        self.make: Callable[[], ding.AsyncDing] = lambda: ding.AsyncDing(
            api_key=API_KEY, server_url=api_url, customer_uuid=CUSTOMER
        )

    def construct(self) -> ding.AsyncDing:
        """Make the client, unless it is made: now, or at the call."""
        if self.client is None:
            self.client = self.make()
        return self.client

    async def call(self) -> None:
        sent = await self.construct().otp.create_authentication(phone_number=PHONE)
        body = sent.create_authentication_response
        if body is None or body.authentication_uuid is None:
            raise WrongAnswerError("no authentication_uuid")

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


class _Httpx:
    """A plain ``httpx.AsyncClient``: the same request, the answer decoded."""

    def __init__(self, api_url: str) -> None:
        import httpx  # noqa: PLC0415 - imported before the loop runs (see `main`)

        self.url = api_url + "/authentication"
        self.client: httpx.AsyncClient | None = None
        self.make: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(
            headers=HEADERS
        )

    def construct(self) -> httpx.AsyncClient:
        """Make the client, unless it is made: now, or at the call."""
        if self.client is None:
            self.client = self.make()
        return self.client

    async def call(self) -> None:
        response = await self.construct().post(
            self.url, json={"customer_uuid": CUSTOMER, "phone_number": PHONE}
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if not body.get("authentication_uuid"):
            raise WrongAnswerError("no authentication_uuid")

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


async def _measure(call: Callable[[], Coroutine[Any, Any, None]]) -> dict[str, float]:
    """Tick, make the first call, tick; return the stalls and the call's time."""
    ticker = _Ticker()
    task = asyncio.create_task(ticker.run())
    await asyncio.sleep(SETTLE)
    start = time.perf_counter()
    await call()
    end = time.perf_counter()
    await asyncio.sleep(SETTLE)
    ticker.running = False
    await task
    stall, idle = ticker.largest(start, end + MARGIN)
    return {"stall": stall, "idle_stall": idle, "call": end - start}


def main(argv: list[str] | None = None) -> int:
    """Run one variant once in this process; print its JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._stall")
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument(
        "--url", required=True, help="the fake Ding API's base URL (…/v1 or its root)"
    )
    args = parser.parse_args(argv)
    api_url = args.url.removesuffix("/").removesuffix("/v1") + "/v1"
    # The library is imported here, before any loop runs, as an application
    # imports it at the top of its module: its import is not the stall measured.
    app = _Httpx(api_url) if args.variant == "httpx-stall" else _Ding(api_url)
    if args.variant == "ding-stall-module":
        # As a module-level client is: made at import time, with no loop.
        app.construct()

    async def run() -> dict[str, float]:
        try:
            return await _measure(app.call)
        finally:
            await app.aclose()

    print(json.dumps(asyncio.run(run())))  # noqa: T201 - the answer
    return 0


if __name__ == "__main__":
    sys.exit(main())
