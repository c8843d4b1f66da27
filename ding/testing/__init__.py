"""A faithful fake of the Ding v1 API, for the quickstart, tests and benchmarks.

`FakeDing` answers every operation of the v1 API as the contract describes,
from memory, and serves as a v1 server wherever one is needed (Ding
announced the removal of its own by April 2026): codes land in ``fake.outbox``, time and
codes are injectable, faults are scriptable, webhooks are delivered. Run it:

* in-process: ``fake.async_client()`` / ``fake.client()`` give ready clients
  on an ASGI transport (no sockets);
* over TCP: ``with fake.serve() as server:`` or
  ``python -m ding.testing --port 8080``;
* in pytest: the ``ding_fake``, ``ding_async_client``, ``ding_client`` and
  ``ding_server`` fixtures, installed with the package.
"""

from ding.testing._app import FakeApp, FakeTransport
from ding.testing._fake import DEFAULT_API_KEY, DEFAULT_CUSTOMER_UUID, FakeDing
from ding.testing._faults import OPERATIONS, Fault, FaultPlan
from ding.testing._server import serve
from ding.testing._server_thread import ServerThread
from ding.testing._values import (
    RESERVED_NUMBERS,
    FakeSettings,
    ManualClock,
    MovableClock,
    Outbox,
    Reply,
    SentMessage,
    ShiftedClock,
    deterministic_codes,
    random_codes,
)
from ding.testing._webhooks import Delivery, WebhookDeliverer

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_CUSTOMER_UUID",
    "OPERATIONS",
    "RESERVED_NUMBERS",
    "Delivery",
    "FakeApp",
    "FakeDing",
    "FakeSettings",
    "FakeTransport",
    "Fault",
    "FaultPlan",
    "ManualClock",
    "MovableClock",
    "Outbox",
    "Reply",
    "SentMessage",
    "ServerThread",
    "ShiftedClock",
    "WebhookDeliverer",
    "deterministic_codes",
    "random_codes",
    "serve",
]
