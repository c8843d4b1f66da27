"""A webhook receiver: authenticate, parse and de-duplicate Ding's events.

Ding POSTs an event to the ``callback_url`` of an authentication each time
something happens to it (created, code sent, delivery report), and sends it
again until it gets HTTP 200, so a receiver must expect repeats. v1 signs
nothing, so the receiver checks a secret token that it put in the URL itself
(`ding.webhooks.callback_url`).

`Receiver` is the whole receiver, on the standard library's HTTP server (the
same few lines fit any framework: read the URL and the body, answer a
status). Run as a script, it starts on a free port, sends a code through the
fake Ding API (``ding.testing``) with the receiver as ``callback_url``, and
shows what arrives: the three events of a sent code, a repeated delivery
(dropped), an event of a kind this SDK does not know (kept, raw) and a
forged request without the token (refused).

Run it: ``python examples/webhook_receiver.py``
"""

from __future__ import annotations

import http.server
import threading
from typing import TYPE_CHECKING, ClassVar

import httpx

from ding import webhooks
from ding.testing import FakeDing

if TYPE_CHECKING:
    from collections.abc import Iterator

    from typing_extensions import Self

# The most bytes of a request body read; Ding's events are a few hundred.
MAX_BODY = 64 << 10


class Receiver:
    """Ding's webhook events, received over HTTP on 127.0.0.1.

    Args:
        secret: The token `callback_url` puts in the URL; keep it in your
            settings (here a fresh one per run).
    """

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret or webhooks.new_token()
        self.events: list[webhooks.WebhookEvent] = []
        self.duplicates = 0
        self.refused = 0
        self._seen = webhooks.Deduplicator()
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        _Handler.receivers[self._server] = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The receiver's URL, without the token."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/ding/events"

    @property
    def callback_url(self) -> str:
        """The URL to give Ding: the receiver's, with the token."""
        return webhooks.callback_url(self.url, self.secret)

    def handle(self, path: str, body: bytes) -> int:
        """Handle one request; return the HTTP status to answer."""
        if not webhooks.verify_token(webhooks.token_of(path), self.secret):
            with self._lock:
                self.refused += 1
            return 403
        try:
            event = webhooks.parse_event(body)
        except webhooks.WebhookError:
            return 400  # not an event: Ding will not send this one again
        with self._lock:
            if self._seen.first_time(event):
                self.events.append(event)  # your handling goes here
            else:
                self.duplicates += 1
        return 200

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        del _Handler.receivers[self._server]


class _Handler(http.server.BaseHTTPRequestHandler):
    receivers: ClassVar[dict[object, Receiver]] = {}

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            status = 413
        else:
            body = self.rfile.read(length)
            status = self.receivers[self.server].handle(self.path, body)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass  # quiet: the demo prints what matters


def describe(event: webhooks.WebhookEvent) -> str:
    """One line about an event."""
    if isinstance(event, webhooks.AuthenticationEvent):
        price = event.price
        cost = f"{price.amount} {price.currency}" if price else "?"
        return f"authentication created for {event.recipient_phone_number}, cost {cost}"
    if isinstance(event, webhooks.AttemptEvent):
        return f"attempt {event.attempt_number} sent by {event.capability}"
    if isinstance(event, webhooks.DeliveryStatusEvent):
        return f"attempt {event.attempt_number}: {event.status}"
    return f"an event of unknown kind {event.type!r}, kept as {sorted(event.raw)}"


def demo() -> Iterator[str]:
    """Run the walk-through; yield its lines."""
    fake = FakeDing()
    with Receiver() as receiver, fake.client() as client:
        sent = client.otp.create_authentication(
            phone_number="+14155550123", callback_url=receiver.callback_url
        )
        yield f"code sent: authentication {sent.authentication_uuid}"
        fake.webhooks.wait_idle()
        # Ding sends an event again when it saw no 200 (a lost answer).
        fake.webhooks.redeliver(fake.webhooks.deliveries[0])
        # A kind this SDK does not know yet.
        fake.webhooks.enqueue(
            receiver.callback_url,
            {"id": "5d1f0ae6-8a7c-4bd1-9e0f-3a3b1f7e2c10", "type": "balance_update"},
        )
        fake.webhooks.wait_idle()
        # Anyone who learns the URL, without the token.
        forged = httpx.post(
            receiver.url, json={"id": "forged", "type": "authentication"}
        )
        yield f"forged request answered {forged.status_code}"
        for event in receiver.events:
            yield f"event: {describe(event)}"
        yield f"repeats dropped: {receiver.duplicates}; requests refused: {receiver.refused}"


def main() -> None:
    """Print the walk-through."""
    for line in demo():
        print(line)


if __name__ == "__main__":
    main()
