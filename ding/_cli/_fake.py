"""``ding fake``: the fake server's program (`ding.testing._program`) as a click command.

Its options are the fields of `FakeOptions`, read the way
``python -m ding.testing`` reads them; only the errors and the exit status
follow the ``ding`` command's rules: a bad option or value exits 2, an
address that cannot be bound 1, Ctrl-C 130 and SIGTERM 0.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any, Final

import click

from ding._cli._exit import ExitCode
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
    from collections.abc import Callable

__all__ = ["fake"]

_PROG: Final = "ding fake"


def _converter(
    convert: Callable[[str], object],
) -> Callable[[click.Context, click.Parameter, str | None], object]:
    """A click callback reading an option's text with *convert*.

    Its ValueError is the option's bad value: a usage error.
    """

    def callback(
        ctx: click.Context, param: click.Parameter, value: str | None
    ) -> object:
        if value is None:
            return None
        try:
            return convert(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None

    return callback


def _serve(**values: Any) -> int:  # noqa: ANN401 - click's options
    given = FakeOptions.from_values(values)
    try:
        fake = prepare(given)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    if not given.quiet:
        log_requests()
    try:
        stopped = serve_until_signal(fake, given)
    except CannotServe as exc:
        raise click.ClickException(str(exc)) from None
    return ExitCode.INTERRUPTED if stopped == signal.SIGINT else ExitCode.OK


def _command() -> click.Command:
    examples = "\n".join(f"  {_PROG} {example}" for example in EXAMPLES)
    params: list[click.Parameter] = []
    for field, option in options():
        if option.kind == "flag":
            params.append(click.Option([flag(field)], is_flag=True, help=option.help))
            continue
        params.append(
            click.Option(
                [flag(field)],
                # Text for the callback, the default too: read as argparse reads it.
                type=click.STRING,
                callback=None if option.convert is None else _converter(option.convert),
                multiple=option.kind == "repeated",
                default=() if option.kind == "repeated" else field.default,
                metavar=option.metavar,
                help=option.help,
            )
        )
    return click.Command(
        "fake",
        callback=_serve,
        params=params,
        help=f"{DESCRIPTION}\n\n"
        "Prints its URL first, then serves in the foreground until Ctrl-C "
        "(exit status 130) or SIGTERM (0), as python -m ding.testing does.",
        epilog="\n\n".join([*NOTES, f"\b\nExamples:\n{examples}"]),
        short_help="Serve the fake Ding API, as python -m ding.testing.",
    )


fake: Final = _command()
