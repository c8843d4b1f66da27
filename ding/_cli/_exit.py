"""The exit statuses of the ``ding`` command, shared by its modules."""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


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
