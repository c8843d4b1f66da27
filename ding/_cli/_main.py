"""The ``ding`` command: the Ding OTP API from a shell, and the fake server.

Installed as a console script (``ding = "ding._cli._main:main"``) and runnable
as ``python -m ding``. Each API command makes one call through `ding.AsyncDing`
and prints the API's JSON answer: as JSON when standard output is not a
terminal (or with ``--json``), as an aligned table on a terminal (or with
``--table``) that fits its width (`_table_width`). ``ding fake`` serves
`ding.testing` in the foreground, as ``python -m ding.testing`` does
(`ding._cli._fake`, imported only for it).

Built on click; ``import ding`` does not import this module. The exit
status is one of `ExitCode`; an error is a `Failure`, shown as text or, with
``--json``, as one JSON object on standard error; ``--verbose`` shows each
request on standard error. The API key is never printed, whatever fails
(see `Printer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import io
import json
import logging
import os
import sys
import time
import urllib.request
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

import anyio
import click
import httpx

import ding
from ding._cli._exit import ExitCode
from ding._cli._render import render_table
from ding._config import DEFAULT_TIMEOUT, ENV_API_KEY, ENV_BASE_URL, ENV_CUSTOMER_UUID
from ding._pipeline._log import mask

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
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
#: The SDK's logger, whose INFO lines ``--verbose`` shows.
_sdk_logger: Final = logging.getLogger("ding")
#: Shorter secrets are not looked for in the output: replacing every "k" of
#: it would garble it, and no real API key is that short.
_MIN_SECRET_LENGTH: Final = 8


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

    def __init__(self, secrets: Iterable[str], *, json_errors: bool = False) -> None:
        # The longest first: a key that contains another is hidden whole.
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        self._json_errors = json_errors

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

    def error(self, failure: Failure) -> int:
        """Show *failure* on standard error (as JSON with ``--json``); return its status.

        The JSON form is one line, an object with one key, ``error``, whose
        value has the same keys whatever failed: ``type``, ``message``,
        ``exit_status``, ``code``, ``http_status`` and ``doc_url`` (the
        last three null but for an answer of the API).
        """
        if not self._json_errors:
            self.err(failure.text or f"Error: {failure.message}")
            return failure.status
        status = failure.status
        error: dict[str, object] = {
            "type": ExitCode(status).name.lower() if status in _CODES else "failed",
            "message": self.redact(failure.message),
            "exit_status": status,
            "code": failure.code,
            "http_status": failure.http_status,
            "doc_url": failure.doc_url,
        }
        self.err(json.dumps({"error": error}, ensure_ascii=False))
        return status

    def _write(self, stream: TextIO, text: str) -> None:
        try:
            stream.write(self.redact(text) + "\n")
            stream.flush()
        except BrokenPipeError:
            # Not an OSError on the way out: click would take one for its
            # own broken pipe and exit 1.
            raise ReaderGone from None


class ReaderGone(Exception):  # noqa: N818 - it names the condition
    """The reader of standard output (or error) went away: ``ding ... | head -1``."""


#: The exit statuses, by value.
_CODES: Final = frozenset(code.value for code in ExitCode)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Failure:
    """What went wrong, as an error shows it: as text, or as JSON with ``--json``.

    Attributes:
        status: The exit status.
        message: One line saying what went wrong: the JSON form's
            ``message``; the text form is ``Error: `` and it, unless *text*.
        text: The text form, when it is more than that line (click's usage
            lines, the API's message and documentation link).
        code: The API's error code (``blocked_number``), when it sent one.
        http_status: The HTTP status of the API's answer, when it matters.
        doc_url: The API's link to the error's documentation, when it sent one.
    """

    status: int
    message: str
    text: str | None = None
    code: str | None = None
    http_status: int | None = None
    doc_url: str | None = None


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
        verbose: Whether to show each request and its timing on standard error.
        default_region: ``--default-region``: the country a national phone
            number is read in, or None.
    """

    api_key: str | None
    customer_uuid: str | None
    base_url: str | None
    timeout: float
    max_retries: int
    output: str | None
    verbose: bool = False
    default_region: str | None = None

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
            "--default-region",
            metavar="CC",
            help="The country a national phone number is read in, such as FR "
            "for 06 12 34 56 78 (needs the phonenumbers extra).",
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
        click.option(
            "--verbose",
            "-v",
            is_flag=True,
            help="Show each request (method, URL, status, time) on standard error.",
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
        default_region: str | None,
        output: str | None,
        verbose: bool,
        **kwargs: object,
    ) -> object:
        settings = Settings(
            api_key=api_key,
            customer_uuid=customer_uuid,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            output=output,
            verbose=verbose,
            default_region=default_region,
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


#: What starts each line ``--verbose`` writes.
_VERBOSE_PREFIX: Final = "ding: "


def _show_request(printer: Printer) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook: show each attempt's request line as it goes out.

    Before the answer, so that a call that hangs shows what it waits for.
    Phone numbers and UUIDs in the path and query are masked as the SDK's
    log masks them; no header, so no key, is shown.
    """

    async def show(request: httpx.Request) -> None:
        url = request.url
        target = mask(url.raw_path.decode("ascii", "replace"))
        printer.err(
            f"{_VERBOSE_PREFIX}{request.method} {url.scheme}://{url.netloc.decode()}{target}"
        )

    return show


class _ToPrinter(logging.Handler):
    """Writes the "ding" logger's lines to standard error through a `Printer`."""

    def __init__(self, printer: Printer) -> None:
        super().__init__(logging.INFO)
        self._printer = printer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._printer.err(f"{_VERBOSE_PREFIX}{record.getMessage()}")
        except Exception:  # noqa: BLE001 - logging must not end the call
            self.handleError(record)


@contextlib.contextmanager
def _verbose_log(printer: Printer, *, enabled: bool) -> Generator[None]:
    """With *enabled*, show the SDK's INFO lines: one per attempt, with its time.

    Each is the attempt's method, masked path, status (or the error) and
    milliseconds (`ding._pipeline._log`); the key is never in them. Shown
    once: the handlers ``DING_LOG`` (or anything else) attached stand aside
    meanwhile.
    """
    if not enabled:
        yield
        return
    handler = _ToPrinter(printer)
    before = (_sdk_logger.level, _sdk_logger.propagate, list(_sdk_logger.handlers))
    for other in before[2]:
        _sdk_logger.removeHandler(other)
    _sdk_logger.addHandler(handler)
    _sdk_logger.propagate = False
    if not _sdk_logger.isEnabledFor(logging.INFO):
        _sdk_logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        _sdk_logger.removeHandler(handler)
        _sdk_logger.setLevel(before[0])
        _sdk_logger.propagate = before[1]
        for other in before[2]:
            _sdk_logger.addHandler(other)


def _table_width() -> int | None:
    """The width a table must fit: ``COLUMNS``, else the terminal's, else none.

    ``COLUMNS``, when it is a positive number, wins (as for click's help);
    else the width of the terminal standard output is; else (a pipe or a
    file, with ``--table``) no width: each row stays on one line.
    """
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not sys.stdout.isatty():
        return None
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or None
    except (OSError, ValueError):  # pragma: no cover - a terminal without a size
        return None


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
    hooks: dict[str, list[Callable[..., Any]]] = {}
    if settings.verbose:
        hooks["request"] = [_show_request(printer)]

    async def call_api() -> tuple[Any, bool]:
        # One call per process: httpx's transport, which starts faster than
        # the SDK's aiohttp pool; it honours the proxy variables too.
        async with (
            httpx.AsyncClient(
                verify=_needs_tls(settings.base_url), event_hooks=hooks
            ) as http,
            ding.AsyncDing(
                api_key=settings.api_key,
                server_url=settings.base_url,
                customer_uuid=customer,
                client=http,
                timeout=DEFAULT_TIMEOUT,
                total_timeout=settings.timeout,
                max_retries=settings.max_retries,
                default_region=settings.default_region,
            ) as client,
        ):
            return await call(client)

    started = time.perf_counter()
    try:
        with _verbose_log(printer, enabled=settings.verbose):
            result, positive = anyio.run(call_api)
    except asyncio.CancelledError:
        # How a Ctrl-C ends the run on Python 3.10, where anyio's runner
        # cancels the call and does not turn it back into KeyboardInterrupt.
        raise KeyboardInterrupt from None
    finally:
        if settings.verbose:
            elapsed = (time.perf_counter() - started) * 1000
            printer.err(f"{_VERBOSE_PREFIX}{elapsed:.1f} ms in all")
    body: object = json.loads(result.raw_response.content)
    if settings.as_json():
        printer.out(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        printer.out(render_table(body, width=_table_width()))
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


#: ``ding --help``: click keeps a paragraph after a "\b" line as written.
_HELP: Final = """The Ding OTP API (v1) from the command line.

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
  ding check --auth-uuid UUID --code CODE"""


class _Commands(click.Group):
    """The commands, ``fake`` imported only when used or listed.

    ``ding fake`` needs `ding.testing`, which an API command does not: not
    importing it saves each of them a few hundredths of a second.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), "fake"])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "fake":
            from ding._cli._fake import fake  # noqa: PLC0415 - on use

            return fake
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
    help=_HELP,
    epilog=EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(ding.__version__, prog_name="ding")
def cli() -> None:
    """Run one command (the help is `_HELP`)."""


for _command in (send, check, retry, status, feedback, lookup):
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


def _failure(exc: ding.DingError) -> Failure:
    """What went wrong with the call, and its exit status, for *exc*."""
    if isinstance(exc, ding.UsageError):
        return Failure(status=ExitCode.USAGE, message=_cli_words(str(exc)))
    if isinstance(exc, ding.ErrorResponse):
        code = "" if exc.code is None else f" {exc.code}"
        headline = f"the API refused the request (HTTP {exc.status_code}{code})"
        details: list[str] = []
        if exc.message:
            details.append(exc.message)
        if exc.doc_url:
            details.append(f"see {exc.doc_url}")
        return Failure(
            status=ExitCode.API_ERROR,
            message=": ".join([headline, *details[:1]]),
            text="\n".join([f"Error: {headline}", *(f"  {d}" for d in details)]),
            code=exc.code,
            http_status=exc.status_code,
            doc_url=exc.doc_url,
        )
    status_code = getattr(exc, "status_code", None)
    if isinstance(exc, ding.ClientError):
        return Failure(
            status=ExitCode.API_ERROR,
            message=f"the API refused the request: {_cli_words(str(exc))}",
            http_status=status_code if isinstance(status_code, int) else None,
        )
    return Failure(
        status=ExitCode.UNAVAILABLE,
        message=f"no usable answer: {exc}",
        http_status=status_code if isinstance(status_code, int) else None,
    )


def _click_failure(exc: click.ClickException) -> Failure:
    buffer = io.StringIO()
    exc.show(file=buffer)
    return Failure(
        status=exc.exit_code,
        message=exc.format_message(),
        text=buffer.getvalue().rstrip("\n"),
    )


def _asks_json(argv: Sequence[str]) -> bool:
    """Whether ``--json`` is on the command line (before a ``--``).

    Looked for in the arguments themselves, so that an error found while
    click parses them (a bad option beside ``--json``) is JSON too.
    """
    for arg in argv:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ding`` with *argv* (default: the process's arguments).

    Returns:
        The exit status, one of `ExitCode`.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    printer = Printer(
        [*_keys_in(args), os.environ.get(ENV_API_KEY) or ""],
        json_errors=_asks_json(args),
    )
    try:
        return cast(
            "int",
            cli.main(args, prog_name="ding", standalone_mode=False, obj=printer) or 0,
        )
    except click.ClickException as exc:
        return printer.error(_click_failure(exc))
    except ding.DingError as exc:
        return printer.error(_failure(exc))
    except (click.Abort, KeyboardInterrupt):
        return printer.error(
            Failure(
                status=ExitCode.INTERRUPTED,
                message="interrupted (Ctrl-C)",
                text="Interrupted.",
            )
        )
    except ReaderGone:
        # The reader went away (`ding status ... | head -1`): not an error.
        _silence_stdout()
        return ExitCode.OK
    except Exception as exc:  # noqa: BLE001 - no traceback may show the key
        return printer.error(
            Failure(
                status=ExitCode.FAILED,
                message=f"unexpected {type(exc).__name__}: {exc}; "
                "this is a bug in ding, please report it",
                text=f"Error: unexpected {type(exc).__name__}: {exc}\n"
                "This is a bug in ding; please report it.",
            )
        )


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the exit flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor
        pass
    finally:
        os.close(devnull)
