"""The ``ding`` command: the Ding OTP API from a shell, and the fake server.

Installed as a console script (``ding = "ding._cli._main:main"``) and runnable
as ``python -m ding``. Each API command makes one call through `ding.AsyncDing`
and prints the API's JSON answer: as JSON when standard output is not a
terminal (or with ``--json``), as an aligned table on a terminal (or with
``--table``). ``ding fake`` serves `ding.testing` in the foreground, as
``python -m ding.testing`` does.

Built on click; ``import ding`` does not import this module. The exit
status is one of `ExitCode`; the API key is never printed, whatever fails
(see `Printer`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import io
import json
import os
import sys
import urllib.request
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

import anyio
import click
import httpx

import ding
from ding._cli._render import render_table
from ding._config import DEFAULT_TIMEOUT, ENV_API_KEY, ENV_BASE_URL, ENV_CUSTOMER_UUID

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence
    from typing import TypeAlias

    from ding._schema._models import FeedbackStatusValue

    #: A click command's callback, before and after `_api_options`.
    _F: TypeAlias = Callable[..., Any]
    #: One API call: the client in; the result's envelope and whether its
    #: outcome is positive out.
    _Call: TypeAlias = Callable[[ding.AsyncDing], Awaitable[tuple[Any, bool]]]

__all__ = ["ExitCode", "main"]

#: The option that carries the key; its value is hidden wherever it shows.
_KEY_OPTION: Final = "--api-key"
#: Shorter secrets are not looked for in the output: replacing every "k" of
#: it would garble it, and no real API key is that short.
_MIN_SECRET_LENGTH: Final = 8


class ExitCode(enum.IntEnum):
    """The exit status of ``ding``: the same for every command."""

    #: The call succeeded and its outcome is positive.
    OK = 0
    #: Something else failed: the fake cannot listen, or a bug.
    FAILED = 1
    #: The command line is wrong: an unknown or missing option, a bad value,
    #: no API key or customer UUID, an unusable server URL. Nothing was sent.
    USAGE = 2
    #: The API answered, and the outcome is negative: ``send`` not
    #: ``pending``, ``check`` not ``valid``, ``retry`` not ``approved``.
    NEGATIVE = 3
    #: The API refused the request: an HTTP 4xx (a Ding error such as
    #: ``blocked_number``, a refused key, a rate limit).
    API_ERROR = 4
    #: No usable answer: connection failed or timed out, HTTP 5xx, a
    #: redirect, or a body that is not the expected JSON.
    UNAVAILABLE = 5
    #: Interrupted (Ctrl-C).
    INTERRUPTED = 130


EXIT_CODES_HELP: Final = """\b
Exit status:
  0    success (and the outcome is positive)
  1    another failure (the fake cannot listen on its address)
  2    usage error: bad option or value, no API key or customer UUID
  3    the API answered with a negative outcome: send not pending,
       check not valid, retry not approved
  4    the API refused the request (HTTP 4xx, e.g. blocked_number)
  5    no usable answer: connection failed, timeout, HTTP 5xx
  130  interrupted"""


class Printer:
    """Writes to standard output and error, never showing a secret.

    The API key reaches the CLI from ``DING_API_KEY`` or ``--api-key``; the
    SDK never puts it in a message, but a server could echo it in an error
    body, and click quotes stray arguments. Every line written passes
    through `redact`.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        # The longest first: a key that contains another is hidden whole.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        """Return *text* with every secret replaced by ``[redacted]``."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def out(self, text: str) -> None:
        """Write *text* and a newline to standard output."""
        self._write(sys.stdout, text)

    def err(self, text: str) -> None:
        """Write *text* and a newline to standard error."""
        self._write(sys.stderr, text)

    def _write(self, stream: TextIO, text: str) -> None:
        stream.write(self.redact(text) + "\n")
        stream.flush()


def _keys_in(argv: Sequence[str]) -> list[str]:
    """Return the values given to ``--api-key`` on the command line."""
    found: list[str] = []
    for i, arg in enumerate(argv):
        if arg == _KEY_OPTION and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith(_KEY_OPTION + "="):
            found.append(arg.partition("=")[2])
    return found


# -- the API commands ------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """What every API command needs: the client's settings and the output form.

    Attributes:
        api_key: ``--api-key``, or None to read ``DING_API_KEY``.
        customer_uuid: ``--customer-uuid``, or None.
        base_url: ``--base-url``, or None for ``DING_BASE_URL`` or the default.
        timeout: The most seconds the call takes, retries included.
        max_retries: Retries of a failure that is safe to retry.
        output: ``"json"``, ``"table"``, or None to choose by the terminal.
    """

    api_key: str | None
    customer_uuid: str | None
    base_url: str | None
    timeout: float
    max_retries: int
    output: str | None

    def as_json(self) -> bool:
        """Whether to print JSON: asked for, or standard output is no terminal."""
        if self.output is not None:
            return self.output == "json"
        return not sys.stdout.isatty()


def _api_options(command: _F) -> _F:
    """Add the options every API command shares, gathered into a `Settings`."""
    options = [
        click.option(
            _KEY_OPTION,
            "api_key",
            metavar="KEY",
            help=f"Your Ding API key [default: ${ENV_API_KEY}]. Prefer the "
            "variable: an option lands in your shell history.",
        ),
        click.option(
            "--customer-uuid",
            metavar="UUID",
            help=f"Your customer UUID [default: ${ENV_CUSTOMER_UUID}].",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help=f"The v1 API's URL, /v1 included [default: ${ENV_BASE_URL}, "
            "else https://api.ding.live/v1].",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=60.0,
            show_default=True,
            metavar="SECONDS",
            help="The most the call takes, retries included.",
        ),
        click.option(
            "--max-retries",
            type=click.IntRange(min=0),
            default=2,
            show_default=True,
            metavar="N",
            help="Retries of a failure that is safe to retry.",
        ),
        click.option(
            "--json",
            "output",
            flag_value="json",
            help="Print JSON [default when the output is not a terminal].",
        ),
        click.option(
            "--table",
            "output",
            flag_value="table",
            help="Print an aligned table [default on a terminal].",
        ),
    ]

    @functools.wraps(command)
    def wrapper(
        *args: object,
        api_key: str | None,
        customer_uuid: str | None,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        output: str | None,
        **kwargs: object,
    ) -> object:
        settings = Settings(
            api_key=api_key,
            customer_uuid=customer_uuid,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            output=output,
        )
        return command(settings, *args, **kwargs)

    decorated: _F = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def _needs_tls(base_url: str | None) -> bool:
    """Whether the client needs a verifying TLS context for *base_url*.

    Not for a plain ``http://`` URL (the fake, on this machine) with no
    proxy configured: building one loads the CA bundle, a tenth of a second
    of each run, and nothing goes over TLS (the SDK follows no redirect).
    With a proxy, which may be reached over TLS, it is built as usual.
    """
    url = base_url or os.environ.get(ENV_BASE_URL) or ""
    return not url.lower().startswith("http://") or bool(urllib.request.getproxies())


def _printer() -> Printer:
    printer = click.get_current_context().find_object(Printer)
    return printer if printer is not None else Printer(())


def _run(settings: Settings, call: _Call, *, needs_customer: bool = True) -> int:
    """Make one API call, print its answer; return the exit status.

    *call* takes the client and returns the result's envelope and whether
    the outcome is positive. SDK errors propagate to `main`.

    Raises:
        click.UsageError: No API key or customer UUID is configured.
    """
    if settings.api_key is None and ENV_API_KEY not in os.environ:
        raise click.UsageError(
            f"no API key: set {ENV_API_KEY} (or pass {_KEY_OPTION})",
        )
    customer = settings.customer_uuid or os.environ.get(ENV_CUSTOMER_UUID)
    if needs_customer and not customer:
        raise click.UsageError(
            f"no customer UUID: set {ENV_CUSTOMER_UUID} (or pass --customer-uuid)",
        )
    printer = _printer()

    async def call_api() -> tuple[Any, bool]:
        # One call per process: httpx's transport, which starts faster than
        # the SDK's aiohttp pool; it honours the proxy variables too.
        async with (
            httpx.AsyncClient(verify=_needs_tls(settings.base_url)) as http,
            ding.AsyncDing(
                api_key=settings.api_key,
                server_url=settings.base_url,
                customer_uuid=customer,
                client=http,
                timeout=DEFAULT_TIMEOUT,
                total_timeout=settings.timeout,
                max_retries=settings.max_retries,
            ) as client,
        ):
            return await call(client)

    try:
        result, positive = anyio.run(call_api)
    except asyncio.CancelledError:
        # How a Ctrl-C ends the run on Python 3.10, where anyio's runner
        # cancels the call and does not turn it back into KeyboardInterrupt.
        raise KeyboardInterrupt from None
    body: object = json.loads(result.raw_response.content)
    if settings.as_json():
        printer.out(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        printer.out(render_table(body))
    return ExitCode.OK if positive else ExitCode.NEGATIVE


_AUTH_UUID = click.option(
    "--auth-uuid",
    "--authentication-uuid",
    "auth_uuid",
    required=True,
    metavar="UUID",
    help="The authentication, from send.",
)


_EXAMPLES_SEND: Final = """\b
Examples:
  export DING_API_KEY=... DING_CUSTOMER_UUID=...
  ding send --phone-number +14155550123
  uuid=$(ding send --phone-number +14155550123 --json | jq -r .authentication_uuid)"""


@click.command(epilog=_EXAMPLES_SEND)
@click.option(
    "--phone-number", required=True, metavar="E164", help="Where to send the code."
)
@click.option(
    "--device-type",
    type=click.Choice(["IOS", "ANDROID", "WEB"], case_sensitive=False),
    help="The user's device family.",
)
@click.option("--ip", metavar="IPV4", help="The user's IP address.")
@click.option("--device-id", metavar="ID", help="The user's device identifier.")
@click.option("--app-version", metavar="VERSION", help="Your app's version.")
@click.option("--os-version", metavar="VERSION", help="The device's OS version.")
@click.option("--device-model", metavar="MODEL", help="The device's model.")
@click.option("--app-realm", metavar="HASH", help="Android SMS Retriever app hash.")
@click.option(
    "--returning-user",
    "is_returning_user",
    is_flag=True,
    help="The user is known to be genuine.",
)
@click.option("--template-id", metavar="ID", help="The message template.")
@click.option("--sender-id", metavar="ID", help="The sender ID to send from.")
@click.option("--locale", metavar="BCP47", help="The message's language.")
@click.option("--correlation-id", metavar="ID", help="Your ID, echoed in events.")
@click.option("--callback-url", metavar="URL", help="Where webhook events go.")
@_api_options
def send(settings: Settings, **fields: Any) -> int:  # noqa: ANN401 - click's options
    """Send a code: create an authentication.

    Prints authentication_uuid (for check, retry and status) and status.
    Exits 3 when the status is not pending (rate_limited, spam_detected):
    no code was sent.
    """
    # Only what was given: without --returning-user, no is_returning_user.
    given = {name: value for name, value in fields.items() if value}

    async def call(client: ding.AsyncDing) -> tuple[Any, bool]:
        result = await client.otp.create_authentication(given)
        return result, result.status == "pending"

    return _run(settings, call)


_EXAMPLES_CHECK: Final = """\b
Examples:
  ding check --auth-uuid 3d0e... --code 123456
  ding check --auth-uuid "$uuid" --code "$code" && echo verified"""


@click.command(epilog=_EXAMPLES_CHECK)
@_AUTH_UUID
@click.option("--code", required=True, help="The code the user typed.")
@_api_options
def check(settings: Settings, auth_uuid: str, code: str) -> int:
    """Check the code the user typed.

    Exits 0 when the status is valid, 3 for any other status (invalid,
    expired_auth, rate_limited, already_validated, ...).
    """

    async def call(client: ding.AsyncDing) -> tuple[Any, bool]:
        result = await client.otp.check(authentication_uuid=auth_uuid, check_code=code)
        return result, result.status == "valid"

    return _run(settings, call)


@click.command(epilog="\b\nExample:\n  ding retry --auth-uuid 3d0e...")
@_AUTH_UUID
@_api_options
def retry(settings: Settings, auth_uuid: str) -> int:
    """Send the code again.

    Exits 0 when the retry is approved (a new code went out), 3 otherwise
    (denied: too early or none left; see next_retry_at and remaining_retry).
    """

    async def call(client: ding.AsyncDing) -> tuple[Any, bool]:
        result = await client.otp.retry(authentication_uuid=auth_uuid)
        return result, result.status == "approved"

    return _run(settings, call)


_EXAMPLES_STATUS: Final = """\b
Examples:
  ding status --auth-uuid 3d0e...
  ding status --auth-uuid 3d0e... --json | jq '.events[].type'"""


@click.command(epilog=_EXAMPLES_STATUS, short_help="Show an authentication's history.")
@_AUTH_UUID
@_api_options
def status(settings: Settings, auth_uuid: str) -> int:
    """Show an authentication and its history: attempts, checks, deliveries.

    Needs no customer UUID.
    """

    async def call(client: ding.AsyncDing) -> tuple[Any, bool]:
        return await client.otp.get_authentication_status(auth_uuid), True

    return _run(settings, call, needs_customer=False)


@click.command(
    epilog="\b\nExample:\n  ding feedback --phone-number +14155550123 --status onboarded"
)
@click.option(
    "--phone-number", required=True, metavar="E164", help="The user's number."
)
@click.option(
    "--status",
    "outcome",
    required=True,
    type=click.Choice(["onboarded", "not_onboarded"]),
    help="Whether the user finished onboarding.",
)
@_api_options
def feedback(settings: Settings, phone_number: str, outcome: str) -> int:
    """Tell Ding whether the verified user finished onboarding."""

    async def call(client: ding.AsyncDing) -> tuple[Any, bool]:
        result = await client.otp.feedback(
            phone_number=phone_number, status=cast("FeedbackStatusValue", outcome)
        )
        return result, True

    return _run(settings, call)


_EXAMPLES_LOOKUP: Final = """\b
Examples:
  ding lookup --phone-number +14155550123
  ding lookup --phone-number +14155550123 --cnam --json | jq -r .line_type"""


@click.command(epilog=_EXAMPLES_LOOKUP)
@click.option("--phone-number", required=True, metavar="E164", help="The number.")
@click.option("--cnam", is_flag=True, help="Ask for the caller name too.")
@_api_options
def lookup(settings: Settings, phone_number: str, cnam: bool) -> int:
    """Look up a number: carrier, line type, country, porting."""

    async def call(client: ding.AsyncDing) -> tuple[Any, bool]:
        result = await client.lookup.lookup(
            phone_number, type_="cnam" if cnam else None
        )
        return result, True

    return _run(settings, call)


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
    short_help="Serve the fake Ding API, as python -m ding.testing.",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def fake(args: tuple[str, ...]) -> int:
    """Serve the fake Ding API here (ding fake --help lists its options)."""
    from ding.testing.__main__ import main as serve_fake  # noqa: PLC0415 - on use

    return serve_fake(list(args), prog="ding fake")


@click.group(
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(ding.__version__, prog_name="ding")
def cli() -> None:
    r"""The Ding OTP API (v1) from the command line.

    Reads DING_API_KEY, DING_CUSTOMER_UUID and DING_BASE_URL (or the
    --api-key, --customer-uuid and --base-url options of each command).
    Prints JSON when the output is not a terminal, a table on a terminal;
    --json or --table chooses.

    \b
    A verification, end to end, against the fake:
      ding fake --port 8080 &
      export DING_BASE_URL=http://127.0.0.1:8080/v1 DING_API_KEY=test
      export DING_CUSTOMER_UUID=28591d9e-a825-47f6-ab11-1a61726305bf
      ding send --phone-number +14155550123
      ding check --auth-uuid UUID --code CODE
    """


for _command in (send, check, retry, status, feedback, lookup, fake):
    cli.add_command(_command)


# -- errors and the entry point -------------------------------------------


_CLI_WORDS: Final = (
    ("the api_key argument", f"the {_KEY_OPTION} option"),
    ("pass api_key=...", f"pass {_KEY_OPTION}"),
    ("server_url '", "the server URL '"),
    ("pass allow_insecure_http=True or set", "set"),
)


def _cli_words(text: str) -> str:
    """Say the SDK's Python names of a setting as the CLI's options."""
    for python, shell in _CLI_WORDS:
        text = text.replace(python, shell)
    return text


def _report(printer: Printer, exc: ding.DingError) -> int:
    """Print what went wrong; return the exit status for *exc*."""
    if isinstance(exc, ding.UsageError):
        printer.err(f"Error: {_cli_words(str(exc))}")
        return ExitCode.USAGE
    if isinstance(exc, ding.ErrorResponse):
        code = "" if exc.code is None else f" {exc.code}"
        printer.err(
            f"Error: the API refused the request (HTTP {exc.status_code}{code})"
        )
        if exc.message:
            printer.err(f"  {exc.message}")
        if exc.doc_url:
            printer.err(f"  see {exc.doc_url}")
        return ExitCode.API_ERROR
    if isinstance(exc, ding.ClientError):
        printer.err(f"Error: the API refused the request: {_cli_words(str(exc))}")
        return ExitCode.API_ERROR
    printer.err(f"Error: no usable answer: {exc}")
    return ExitCode.UNAVAILABLE


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ding`` with *argv* (default: the process's arguments).

    Returns:
        The exit status, one of `ExitCode`.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    printer = Printer([*_keys_in(args), os.environ.get(ENV_API_KEY) or ""])
    try:
        return cast(
            "int",
            cli.main(args, prog_name="ding", standalone_mode=False, obj=printer) or 0,
        )
    except click.ClickException as exc:
        buffer = io.StringIO()
        exc.show(file=buffer)
        printer.err(buffer.getvalue().rstrip("\n"))
        return exc.exit_code
    except ding.DingError as exc:
        return _report(printer, exc)
    except (click.Abort, KeyboardInterrupt):
        printer.err("Interrupted.")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`ding status ... | head -1`): not an error.
        _silence_stdout()
        return ExitCode.OK
    except Exception as exc:  # noqa: BLE001 - no traceback may show the key
        printer.err(
            f"Error: unexpected {type(exc).__name__}: {exc}\n"
            "This is a bug in ding; please report it."
        )
        return ExitCode.FAILED


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the exit flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor
        pass
    finally:
        os.close(devnull)
