"""Celery tasks that call a module-level `ding.Ding`, in each worker pool.

Before the sync client ran its loop in a real OS thread, 170 of 200 tasks
failed in the gevent pool. The broker is kombu's ``filesystem://`` transport
and the results go to Celery's ``file://`` backend, both in the test's
temporary directory: nothing but pip is needed. A worker runs the tasks
module, whose `Ding` is made when the worker imports it: in the gevent pool
after Celery's patching (``python -m celery`` patches first), in the prefork
pool in the parent, before it forks the pool's processes. A separate
process queues 200 tasks before the worker starts, and another collects
their results.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from tests.runtimes._support import (
    SIGN_UP,
    child_env,
    prelude,
    report_of,
    served_fake,
    server,
    write_program,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork, signals")

TASKS = 200

TASKS_MODULE = (
    SIGN_UP
    + """
import os
import sys
from pathlib import Path

from celery import Celery

import ding

data = Path(os.environ["CELERY_DATA"])
for folder in ("queue", "processed", "control", "results"):
    (data / folder).mkdir(exist_ok=True)

app = Celery("ding_tasks")
app.conf.update(
    broker_url="filesystem://",
    broker_transport_options={
        "data_folder_in": str(data / "queue"),
        "data_folder_out": str(data / "queue"),
        "processed_folder": str(data / "processed"),
        "control_folder": str(data / "control"),
        "polling_interval": 0.05,
    },
    broker_connection_retry_on_startup=True,
    result_backend=f"file://{data / 'results'}",
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
)

client = ding.Ding()  # module level: made when the worker imports the tasks


@app.task(name="sign_up")
def sign_up_task(n):
    return sign_up(client, n)


@app.task(name="where")
def where():  # the process a task runs in, and whether gevent patched it
    gevent = sys.modules.get("gevent.monkey")
    patched = gevent is not None and gevent.is_module_patched("threading")
    return {"pid": os.getpid(), "gevent": patched}
"""
)

# `send N`: queues N sign-ups and one `where`, and keeps their ids; then
# `collect` waits for their results and reports how the tasks ended. The
# tasks are all queued before the worker starts: kombu's filesystem
# transport can hand a worker a message its producer is still writing.
CLIENT = (
    prelude()
    + """
import collections, json, sys
from pathlib import Path

from celery.result import ResultSet

from ding_tasks import app, sign_up_task, where

ids = Path("task-ids.json")
if sys.argv[1] == "send":
    sent = [sign_up_task.delay(n).id for n in range(int(sys.argv[2]))]
    ids.write_text(json.dumps({"sign_ups": sent, "where": where.delay().id}))
    print(json.dumps({"sent": len(sent)}))
else:
    queued = json.loads(ids.read_text())
    results = ResultSet([app.AsyncResult(id) for id in queued["sign_ups"]])
    outcomes = results.get(timeout=30, interval=0.05, propagate=False)
    ran_in = app.AsyncResult(queued["where"]).get(timeout=10)
    print(json.dumps({
        "outcomes": collections.Counter(map(str, outcomes)),
        "where": ran_in,
    }))
"""
)

POOLS = {
    "gevent": ["--pool=gevent", "--concurrency=50"],
    "prefork": ["--pool=prefork", "--concurrency=2"],
    "threads": ["--pool=threads", "--concurrency=8"],
}


@pytest.mark.parametrize("pool", list(POOLS))
def test_200_tasks_calling_a_module_level_ding_all_succeed(
    pool: str, tmp_path: Path
) -> None:
    write_program(tmp_path, "ding_tasks.py", TASKS_MODULE)
    client = write_program(tmp_path, "client.py", CLIENT)
    command = [
        sys.executable,
        "-m",
        "celery",
        "--app=ding_tasks",
        "worker",
        *POOLS[pool],
        "--loglevel=warning",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
    ]
    with served_fake() as api:
        env = child_env(api.url, CELERY_DATA=str(tmp_path))
        assert report_of(client, env, "send", str(TASKS)) == {"sent": TASKS}
        with server(command, env, tmp_path) as worker:
            report = report_of(client, env, "collect")
            assert report["outcomes"] == {"valid": TASKS}, worker.output()
            # The pool is the one named: gevent's patching, prefork's children.
            assert report["where"]["gevent"] == (pool == "gevent")
            ran_in_the_worker = report["where"]["pid"] == worker.process.pid
            assert ran_in_the_worker == (pool != "prefork")
        assert api.codes_sent() == TASKS
