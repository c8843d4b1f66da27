"""Serve the fake Ding API over HTTP: ``python -m ding.testing --port 8080``.

Prints the API base URL (``http://127.0.0.1:8080/v1``) on the first line of
standard output once it listens, then serves until Ctrl-C or SIGTERM, logging
one line per request to standard error (``--quiet`` for none). Point a
client at it with ``DING_BASE_URL`` or ``server_url=``; read the codes it
"sent" at ``/_fake/outbox``. ``--idle-timeout`` makes it close idle
keep-alive connections, as real servers do. ``ding fake`` (the ``ding``
command) runs the same program with the same options.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
import signal
import sys
from typing import TYPE_CHECKING

import anyio

from ding._errors import UsageError
from ding.testing._fake import FakeDing
from ding.testing._keepalive import KeepAlivePolicy
from ding.testing._server import serve
from ding.testing._values import FakeSettings, deterministic_codes

if TYPE_CHECKING:
    from collections.abc import Sequence


_EPILOG = """\
The first line of standard output is the API's base URL, for DING_BASE_URL.
The codes the fake "sent" are at GET /_fake/outbox/last?phone_number=... on
the server's root URL (the base URL without /v1), with no API key.

With --idle-timeout, a keep-alive connection whose next request has not begun
that many seconds after its last response is closed, as real servers close
idle connections; what the client sends too late is never handled.
--announce-idle-timeout says so on each response: Keep-Alive: timeout=N.

examples:
  {prog} --port 8080
  {prog} --port 0 --quiet --seed 1   (any free port, reproducible codes)
  {prog} --strict --api-key test --customer-uuid 28591d9e-a825-47f6-ab11-1a61726305bf
  {prog} --idle-timeout 5 --announce-idle-timeout   (as Node and uvicorn do)
"""


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a fake Ding OTP API (v1) for tests and local development.",
        epilog=_EPILOG.format(prog=prog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to bind (default: any free port)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="accept only the given API keys and customer UUIDs",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="an API key accepted in strict mode (repeatable)",
    )
    parser.add_argument(
        "--customer-uuid",
        action="append",
        default=[],
        metavar="UUID",
        help="a customer UUID accepted in strict mode (repeatable)",
    )
    parser.add_argument(
        "--lifetime",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="authentication lifetime (default 600)",
    )
    parser.add_argument(
        "--max-invalid-checks",
        type=int,
        default=5,
        metavar="N",
        help="wrong codes before an authentication is rate limited (default 5)",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=3,
        metavar="N",
        help="approved retries per authentication (default 3)",
    )
    parser.add_argument(
        "--retry-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="minimum time between two sends (default 30)",
    )
    parser.add_argument(
        "--stateless",
        action="store_true",
        help="a second create for a number with a live authentication reuses it",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="make codes and UUIDs reproducible"
    )
    parser.add_argument(
        "--idle-timeout",
        type=_idle_timeout,
        default=None,
        metavar="SECONDS",
        help="close a keep-alive connection idle this long (default: never)",
    )
    parser.add_argument(
        "--announce-idle-timeout",
        action="store_true",
        help="send Keep-Alive: timeout=SECONDS on each response (needs --idle-timeout)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="do not log each request (method, path, status, ms) to standard error",
    )
    return parser


def _idle_timeout(text: str) -> float:
    """The value of ``--idle-timeout``, checked as `serve` checks it."""
    try:
        seconds = float(text)
        KeepAlivePolicy(seconds)
    except (ValueError, UsageError):
        message = f"not a positive finite number of seconds: {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    return seconds


def _log_requests() -> None:
    """Send the server's one line per request to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("ding.testing")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def fake_from_args(args: argparse.Namespace) -> FakeDing:
    """Build the fake the command-line options describe."""
    settings = FakeSettings(
        lifetime=dt.timedelta(seconds=args.lifetime),
        max_invalid_checks=args.max_invalid_checks,
        max_retries=args.max_retries,
        retry_interval=dt.timedelta(seconds=args.retry_interval),
        stateless=args.stateless,
        strict=args.strict,
        api_keys=frozenset(args.api_key),
        customer_uuids=frozenset(args.customer_uuid),
    )
    codes = None if args.seed is None else deterministic_codes(args.seed)
    return FakeDing(settings, codes=codes, seed=args.seed)


async def _main(
    fake: FakeDing, host: str, port: int, idle_timeout: float | None, announce: bool
) -> None:
    async with anyio.create_task_group() as tg:
        url = await tg.start(
            functools.partial(
                serve,
                fake.app,
                host=host,
                port=port,
                idle_timeout=idle_timeout,
                announce_idle_timeout=announce,
            )
        )
        print(f"{url}/v1", flush=True)
        print(
            f"fake Ding API listening on {url}/v1 (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                tg.cancel_scope.cancel()
                return


def main(
    argv: Sequence[str] | None = None, *, prog: str = "python -m ding.testing"
) -> int:
    """Run the server; return the exit status.

    Args:
        argv: The options (default: the process's arguments).
        prog: The program's name in its help and error messages.
    """
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if args.announce_idle_timeout and args.idle_timeout is None:
        parser.error("--announce-idle-timeout needs --idle-timeout")
    try:
        fake = fake_from_args(args)
    except (UsageError, ValueError, OverflowError) as exc:
        parser.error(str(exc))  # exits with status 2 and the usage line
    if not args.quiet:
        _log_requests()
    try:
        anyio.run(
            _main,
            fake,
            args.host,
            args.port,
            args.idle_timeout,
            args.announce_idle_timeout,
        )
    except Exception as exc:
        # A failed bind arrives wrapped in the task group's exception group.
        cause = _find_bind_error(exc)
        if cause is None:
            raise
        print(f"cannot serve on {args.host}:{args.port}: {cause}", file=sys.stderr)
        return 1
    return 0


def _find_bind_error(exc: BaseException) -> OSError | OverflowError | None:
    if isinstance(exc, OSError | OverflowError):  # OverflowError: port > 65535
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _find_bind_error(inner)
        if found is not None:
            return found
    return None


if __name__ == "__main__":
    sys.exit(main())
