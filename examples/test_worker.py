"""The background worker example, against the fake: every number gets its outcome.

Run it: ``pytest examples/test_worker.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from worker import send_all

from ding.testing import FakeDing, Fault

if TYPE_CHECKING:
    import ding

BATCH = [
    "+14155550000",
    "+14155550001",
    "+14155550002",
    "+15005550001",  # the fake answers rate_limited
    "+15005550002",  # spam_detected
    "+15005550003",  # 400 blocked_number
    "0612345678",  # 400 invalid_phone_number
]


def test_each_number_gets_its_outcome(
    ding_client: ding.Ding, ding_fake: FakeDing
) -> None:
    outcomes = send_all(ding_client, BATCH, threads=4)
    assert [o.phone_number for o in outcomes] == BATCH
    assert [o.result for o in outcomes] == [
        "sent",
        "sent",
        "sent",
        "rate_limited",
        "refused",
        "refused",
        "refused",
    ]
    # A code went out for each number reported sent, and for no other.
    sent = [o for o in outcomes if o.result == "sent"]
    assert len(ding_fake.outbox) == len(sent)
    for outcome in sent:
        message = ding_fake.outbox.last(outcome.phone_number)
        assert message is not None
        assert message.authentication_uuid == outcome.detail


def test_ding_failing_fails_its_jobs_only(
    ding_client: ding.Ding, ding_fake: FakeDing
) -> None:
    # Two calls of the batch, whichever threads make them, find Ding down;
    # a drop is not retried (the SMS may have gone), a server error neither.
    ding_fake.faults.inject("create_authentication", Fault.server_error(), on_call=2)
    ding_fake.faults.inject(
        "create_authentication", Fault.drop_before_response(), on_call=5
    )
    outcomes = send_all(ding_client, BATCH, threads=4)
    failed = sorted(o.detail for o in outcomes if o.result == "failed")
    assert failed == ["APIConnectionError", "ServerError"]
    assert [o.phone_number for o in outcomes] == BATCH
