"""`ServerThread`: the HTTP/1.1 server of `ding.testing._server` in a daemon thread."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from typing import TYPE_CHECKING, Final, cast

import anyio
from anyio.from_thread import BlockingPortal

from ding._errors import DingError, UsageError
from ding.testing._keepalive import KeepAlivePolicy
from ding.testing._server import serve

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

    from ding.testing._server import ASGIApp

__all__ = ["ServerThread"]

_logger: Final = logging.getLogger("ding.testing")

_START_TIMEOUT: Final = 10.0
_STOP_TIMEOUT: Final = 5.0


def _unwrap(exc: BaseException) -> BaseException:
    """The one exception inside (nested) single-member exception groups."""
    inner: object = getattr(exc, "exceptions", None)
    while isinstance(inner, tuple) and len(cast("tuple[object, ...]", inner)) == 1:
        first = cast("tuple[object, ...]", inner)[0]
        if not isinstance(first, BaseException):  # pragma: no cover - defensive
            break
        exc = first
        inner = getattr(exc, "exceptions", None)
    return exc


async def _cancel(scope: anyio.CancelScope) -> None:
    scope.cancel()


class ServerThread:
    """Serve an ASGI app from a daemon thread (asyncio), for sync code and tests.

    Use as a context manager, or call `start` and `stop`::

        with ServerThread(app) as server:
            httpx.get(server.url + "/v1/...")

    Args:
        app: The ASGI app.
        host: The address to bind (default: loopback only).
        port: The port (default: any free port).
        idle_timeout: Seconds a keep-alive connection may wait for its next
            request before the server closes it (see `serve`); None (the
            default) never closes it.
        announce_idle_timeout: Announce *idle_timeout* in a
            ``Keep-Alive: timeout=N`` response header (see `serve`).

    Raises:
        UsageError: *idle_timeout* is not a positive finite number, or
            *announce_idle_timeout* is set without it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout: float | None = None,
        announce_idle_timeout: bool = False,
    ) -> None:
        # Checked here, so that a bad value fails where it was written.
        KeepAlivePolicy(idle_timeout, announce=announce_idle_timeout)
        self._app = app
        self._host = host
        self._port = port
        self._idle_timeout = idle_timeout
        self._announce_idle_timeout = announce_idle_timeout
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._portal: BlockingPortal | None = None
        self._scope: anyio.CancelScope | None = None

    @property
    def url(self) -> str:
        """The base URL, ``http://HOST:PORT``, while the server runs."""
        url = self._url
        if url is None:
            raise UsageError("the server is not running; call start() or use `with`")
        return url

    def start(self) -> None:
        """Start serving; return once the server listens.

        Raises:
            OSError: The address cannot be bound.
            UsageError: The server is already running.
            DingError: The server did not start.
        """
        ready = threading.Event()
        errors: list[BaseException] = []
        with self._lock:
            if self._thread is not None:
                raise UsageError("the server is already running")
            thread = threading.Thread(
                target=self._run,
                args=(ready, errors),
                name=f"ding-fake-server-{self._port}",
                daemon=True,
            )
            self._thread = thread
            thread.start()
        started = ready.wait(_START_TIMEOUT)
        if started and not errors:
            return
        self.stop()
        where = f"{self._host}:{self._port}"
        if not errors:
            raise DingError(
                f"the server on {where} did not start within {_START_TIMEOUT} s"
            )
        error = errors[0]
        if isinstance(error, OSError):
            raise OSError(
                error.errno, f"cannot serve on {where}: {error.strerror or error}"
            ) from error
        raise DingError(f"cannot serve on {where}: {error!r}") from error

    def stop(self) -> None:
        """Stop serving: close the listener and every connection, join the thread.

        Waits at most a few seconds for the thread; it is a daemon thread.
        """
        with self._lock:
            thread, portal, scope = self._thread, self._portal, self._scope
            self._thread = self._portal = self._scope = None
            self._url = None
        if thread is None:
            return
        if portal is not None and scope is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already stopped
                portal.start_task_soon(_cancel, scope)
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - a daemon; it cannot block exit
            _logger.debug("server thread still running after %s s", _STOP_TIMEOUT)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, ready: threading.Event, errors: list[BaseException]) -> None:
        try:
            anyio.run(self._main, ready, backend="asyncio")
        except BaseException as exc:  # reported to start(), or logged
            if ready.is_set():
                _logger.debug("server thread failed", exc_info=True)
            else:
                errors.append(_unwrap(exc))
        finally:
            ready.set()

    async def _main(self, ready: threading.Event) -> None:
        async with BlockingPortal() as portal, anyio.create_task_group() as task_group:
            url: str = await task_group.start(
                functools.partial(
                    serve,
                    self._app,
                    host=self._host,
                    port=self._port,
                    idle_timeout=self._idle_timeout,
                    announce_idle_timeout=self._announce_idle_timeout,
                )
            )
            with self._lock:
                if self._thread is not threading.current_thread():
                    # stop() gave up waiting for this start: do not linger.
                    task_group.cancel_scope.cancel()
                    return
                self._url = url
                self._portal = portal
                self._scope = task_group.cancel_scope
            ready.set()
