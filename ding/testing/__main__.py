"""Serve the fake Ding API over HTTP: ``python -m ding.testing --port 8080``.

Prints the API base URL (``http://127.0.0.1:8080/v1``) on the first line of
standard output once it listens, then serves until Ctrl-C or SIGTERM, logging
one line per request to standard error (``--quiet`` for none). Point a
client at it with ``DING_BASE_URL`` or ``server_url=``; read the codes it
"sent" at ``/_fake/outbox``. ``--idle-timeout`` makes it close idle
keep-alive connections, as real servers do. ``ding fake`` (the ``ding``
command) runs the same program with the same options: both read them from
`ding.testing._program.FakeOptions`.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import TYPE_CHECKING

from ding._errors import UsageError
from ding.testing._program import (
    DESCRIPTION,
    EXAMPLES,
    NOTES,
    CannotServe,
    FakeOptions,
    flag,
    log_requests,
    options,
    prepare,
    serve_until_signal,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def _argument_type(convert: Callable[[str], object]) -> Callable[[str], object]:
    """*convert*, its ValueError shown by argparse as the message it carries."""

    def argument(text: str) -> object:
        try:
            return convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return argument


def _parser(prog: str) -> argparse.ArgumentParser:
    examples = "\n".join(f"  {prog} {example}" for example in EXAMPLES)
    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        epilog="\n\n".join(
            [*(textwrap.fill(note, 79) for note in NOTES), f"examples:\n{examples}"]
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for field, option in options():
        if option.kind == "flag":
            parser.add_argument(flag(field), action="store_true", help=option.help)
            continue
        parser.add_argument(
            flag(field),
            action="append" if option.kind == "repeated" else "store",
            default=[] if option.kind == "repeated" else field.default,
            type=str if option.convert is None else _argument_type(option.convert),
            metavar=option.metavar,
            help=option.help,
        )
    return parser


def main(
    argv: Sequence[str] | None = None, *, prog: str = "python -m ding.testing"
) -> int:
    """Run the server; return the exit status.

    Args:
        argv: The options (default: the process's arguments).
        prog: The program's name in its help and error messages.
    """
    parser = _parser(prog)
    given = FakeOptions.from_values(vars(parser.parse_args(argv)))
    try:
        fake = prepare(given)
    except UsageError as exc:
        parser.error(str(exc))  # exits with status 2 and the usage line
    if not given.quiet:
        log_requests()
    try:
        serve_until_signal(fake, given)
    except CannotServe as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
