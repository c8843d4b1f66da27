"""The fake server's program, apart from the parser of its command line.

Two command lines run it: ``python -m ding.testing`` (argparse, in
`ding.testing.__main__`) and ``ding fake`` (click, in `ding._cli`). Both
build their options from `FakeOptions`: each field is one option, its
`Option` metadata says how it reads (a flag, one value, a repeatable value),
its help text and how its text becomes a value. Then both call `prepare`
(checks the options together, builds the fake) and `serve_until_signal`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any, Final, Literal

import anyio

from ding._errors import UsageError
from ding.testing._fake import FakeDing
from ding.testing._keepalive import KeepAlivePolicy
from ding.testing._server import serve
from ding.testing._values import FakeSettings, deterministic_codes

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "DESCRIPTION",
    "EXAMPLES",
    "NOTES",
    "CannotServe",
    "FakeOptions",
    "Option",
    "flag",
    "log_requests",
    "options",
    "prepare",
    "serve_until_signal",
]

#: The first line of the program's help.
DESCRIPTION: Final = "Serve a fake Ding OTP API (v1) for tests and local development."

#: The paragraphs after the options in the program's help.
NOTES: Final = (
    (
        "The first line of standard output is the API's base URL, for "
        'DING_BASE_URL. The codes the fake "sent" are at GET '
        "/_fake/outbox/last?phone_number=... on the server's root URL (the "
        "base URL without /v1), with no API key."
    ),
    (
        "With --idle-timeout, a keep-alive connection whose next request has "
        "not begun that many seconds after its last response is closed, as "
        "real servers close idle connections; what the client sends too late "
        "is never handled. --announce-idle-timeout says so on each response: "
        "Keep-Alive: timeout=N."
    ),
)

#: Example command lines, without the program's name.
EXAMPLES: Final = (
    "--port 8080",
    "--port 0 --quiet --seed 1   (any free port, reproducible codes)",
    "--strict --api-key test --customer-uuid 28591d9e-a825-47f6-ab11-1a61726305bf",
    "--idle-timeout 5 --announce-idle-timeout   (as Node and uvicorn do)",
)

_MAX_PORT: Final = 65535


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= _MAX_PORT:
        message = f"not a port number (0 to {_MAX_PORT}): {text!r}"
        raise ValueError(message)
    return port


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        message = f"not an integer: {text!r}"
        raise ValueError(message) from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        message = f"not a number: {text!r}"
        raise ValueError(message) from None


def _idle_timeout(text: str) -> float:
    """The value of ``--idle-timeout``, checked as `serve` checks it."""
    try:
        seconds = float(text)
        KeepAlivePolicy(seconds)
    except (ValueError, UsageError):
        message = f"not a positive finite number of seconds: {text!r}"
        raise ValueError(message) from None
    return seconds


@dataclasses.dataclass(frozen=True, kw_only=True)
class Option:
    """How one field of `FakeOptions` reads on a command line.

    Attributes:
        help: The option's help text.
        kind: ``"flag"`` (present or not), ``"value"`` (one value, the last
            given wins) or ``"repeated"`` (every value given, in order).
        metavar: The value's name in the help; None for a flag.
        convert: Turns the text given into the value; raises ValueError,
            with a message for the user, when the text is not one. None for
            a flag, or a value kept as text.
    """

    help: str
    kind: Literal["flag", "value", "repeated"] = "value"
    metavar: str | None = None
    convert: Callable[[str], object] | None = None


def _option(default: Any, option: Option) -> Any:  # noqa: ANN401 - any field's default
    return dataclasses.field(default=default, metadata={"option": option})


@dataclasses.dataclass(frozen=True, kw_only=True)
class FakeOptions:
    """The options of the fake's command line, one field each (``--api-key``: api_key)."""

    host: str = _option(
        "127.0.0.1",
        Option(
            help="Address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network).",
            metavar="HOST",
        ),
    )
    port: int = _option(
        0,
        Option(
            help="Port to bind (default: any free port).", metavar="PORT", convert=_port
        ),
    )
    strict: bool = _option(
        False,  # noqa: FBT003 - a field's default
        Option(help="Accept only the given API keys and customer UUIDs.", kind="flag"),
    )
    api_key: tuple[str, ...] = _option(
        (),
        Option(
            help="An API key accepted in strict mode (repeatable).",
            kind="repeated",
            metavar="KEY",
        ),
    )
    customer_uuid: tuple[str, ...] = _option(
        (),
        Option(
            help="A customer UUID accepted in strict mode (repeatable).",
            kind="repeated",
            metavar="UUID",
        ),
    )
    lifetime: float = _option(
        600.0,
        Option(
            help="Authentication lifetime (default 600).",
            metavar="SECONDS",
            convert=_number,
        ),
    )
    max_invalid_checks: int = _option(
        5,
        Option(
            help="Wrong codes before an authentication is rate limited (default 5).",
            metavar="N",
            convert=_integer,
        ),
    )
    max_retries: int = _option(
        3,
        Option(
            help="Approved retries per authentication (default 3).",
            metavar="N",
            convert=_integer,
        ),
    )
    retry_interval: float = _option(
        30.0,
        Option(
            help="Minimum time between two sends (default 30).",
            metavar="SECONDS",
            convert=_number,
        ),
    )
    stateless: bool = _option(
        False,  # noqa: FBT003 - a field's default
        Option(
            help="A second create for a number with a live authentication reuses it.",
            kind="flag",
        ),
    )
    seed: int | None = _option(
        None,
        Option(
            help="Make codes and UUIDs reproducible.", metavar="SEED", convert=_integer
        ),
    )
    idle_timeout: float | None = _option(
        None,
        Option(
            help="Close a keep-alive connection idle this long (default: never).",
            metavar="SECONDS",
            convert=_idle_timeout,
        ),
    )
    announce_idle_timeout: bool = _option(
        False,  # noqa: FBT003 - a field's default
        Option(
            help="Send Keep-Alive: timeout=SECONDS on each response (needs --idle-timeout).",
            kind="flag",
        ),
    )
    quiet: bool = _option(
        False,  # noqa: FBT003 - a field's default
        Option(
            help="Do not log each request (method, path, status, ms) to standard error.",
            kind="flag",
        ),
    )

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> FakeOptions:
        """Build the options from a parser's values, by field name.

        A repeated option's values may come as any sequence (argparse
        gives a list).
        """
        given: dict[str, Any] = dict(values)
        for field, option in options():
            if option.kind == "repeated":
                given[field.name] = tuple(given[field.name])
        return cls(**given)


def options() -> list[tuple[dataclasses.Field[Any], Option]]:
    """Each field of `FakeOptions` with its `Option`, in the help's order."""
    return [(f, f.metadata["option"]) for f in dataclasses.fields(FakeOptions)]


def flag(field: dataclasses.Field[Any]) -> str:
    """The command-line spelling of *field*: ``--api-key`` for ``api_key``."""
    return "--" + field.name.replace("_", "-")


def prepare(options: FakeOptions) -> FakeDing:
    """Check *options* together and build the fake they describe.

    Raises:
        UsageError: The options do not make a fake: a setting out of its
            range, or ``--announce-idle-timeout`` without ``--idle-timeout``.
    """
    if options.announce_idle_timeout and options.idle_timeout is None:
        raise UsageError("--announce-idle-timeout needs --idle-timeout")
    try:
        settings = FakeSettings(
            lifetime=dt.timedelta(seconds=options.lifetime),
            max_invalid_checks=options.max_invalid_checks,
            max_retries=options.max_retries,
            retry_interval=dt.timedelta(seconds=options.retry_interval),
            stateless=options.stateless,
            strict=options.strict,
            api_keys=frozenset(options.api_key),
            customer_uuids=frozenset(options.customer_uuid),
        )
        codes = None if options.seed is None else deterministic_codes(options.seed)
        return FakeDing(settings, codes=codes, seed=options.seed)
    except UsageError:
        raise
    except (ValueError, OverflowError) as exc:
        raise UsageError(str(exc)) from None


def log_requests() -> None:
    """Send the server's one line per request to standard error."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("ding.testing")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


class CannotServe(Exception):  # noqa: N818 - it names the condition
    """The server could not listen on the address asked for."""


async def _serve(fake: FakeDing, options: FakeOptions) -> signal.Signals:
    # The signals are caught before the URL is printed: whoever reads it
    # may stop the server at once.
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with anyio.create_task_group() as tg:
            url = await tg.start(
                functools.partial(
                    serve,
                    fake.app,
                    host=options.host,
                    port=options.port,
                    idle_timeout=options.idle_timeout,
                    announce_idle_timeout=options.announce_idle_timeout,
                )
            )
            sys.stdout.write(f"{url}/v1\n")
            sys.stdout.flush()
            sys.stderr.write(f"fake Ding API listening on {url}/v1 (Ctrl-C to stop)\n")
            sys.stderr.flush()
            async for received in signals:
                tg.cancel_scope.cancel()
                return signal.Signals(received)
    raise AssertionError(
        "unreachable: the signal receiver never ends"
    )  # pragma: no cover


def serve_until_signal(fake: FakeDing, options: FakeOptions) -> signal.Signals:
    """Serve *fake* as *options* say, print its URL; return the signal that stopped it.

    Serves until SIGINT (Ctrl-C) or SIGTERM.

    Raises:
        CannotServe: The address cannot be bound; the message says why.
    """
    try:
        return anyio.run(_serve, fake, options)
    except Exception as exc:
        # A failed bind arrives wrapped in the task group's exception group.
        cause = _find_bind_error(exc)
        if cause is None:
            raise
        message = f"cannot serve on {options.host}:{options.port}: {cause}"
        raise CannotServe(message) from None


def _find_bind_error(exc: BaseException) -> OSError | OverflowError | None:
    if isinstance(exc, OSError | OverflowError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _find_bind_error(inner)
        if found is not None:
            return found
    return None
