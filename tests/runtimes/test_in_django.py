"""A Django sync view calling a module-level `ding.Ding`, over WSGI and ASGI.

The smallest Django project that serves one view (its settings, URLs, view
and entry points are below, written to the test's temporary directory):
``GET /sign-up/<n>`` signs the n-th number up through the `Ding` its module
makes at import. It is served once by gunicorn (2 workers of 4 threads,
through Django's WSGI handler) and once by uvicorn (through Django's ASGI
handler, which runs a sync view in a thread of its own while uvicorn's
event loop runs in the main thread), under 50 requests at once.
"""

from __future__ import annotations

import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.runtimes._support import SIGN_UP, child_env, failures, served_fake, server

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gunicorn needs Unix")

REQUESTS = 50

SETTINGS = """
SECRET_KEY = "not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "ding_site_views"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
"""

VIEWS = (
    SIGN_UP
    + """
from django.http import JsonResponse
from django.urls import path

import ding

client = ding.Ding()  # module level: made when Django imports the URLs


def sign_up_view(request, n):
    return JsonResponse({"status": sign_up(client, n)})


urlpatterns = [path("sign-up/<int:n>", sign_up_view)]
"""
)

WSGI = """
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
"""

ASGI = """
from django.core.asgi import get_asgi_application

application = get_asgi_application()
"""


def serve_command(handler: str, fd: int) -> list[str]:
    """The command that serves the project through *handler* on socket *fd*."""
    if handler == "wsgi":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=2",
            "--threads=4",
            f"--bind=fd://{fd}",
            "--log-level=warning",
            "ding_site_wsgi:application",
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"--fd={fd}",
        "--log-level=warning",
        "ding_site_asgi:application",
    ]


def sign_up(url: str, n: int) -> str:
    """Sign the *n*-th number up through the view; its status, or what failed."""
    try:
        answer = httpx.get(f"{url}/sign-up/{n}", timeout=20)
    except httpx.HTTPError as exc:
        return repr(exc)
    if answer.status_code != HTTPStatus.OK:
        return f"{answer.status_code} {answer.text[:200]}"
    status: str = answer.json()["status"]
    return status


@pytest.mark.parametrize("handler", ["wsgi", "asgi"])
def test_50_concurrent_requests_to_a_sync_view_calling_ding_all_succeed(
    handler: str, tmp_path: Path
) -> None:
    for name, source in {
        "ding_site_settings.py": SETTINGS,
        "ding_site_views.py": VIEWS,
        "ding_site_wsgi.py": WSGI,
        "ding_site_asgi.py": ASGI,
    }.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.set_inheritable(True)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with served_fake() as api:
        env = child_env(
            api.url,
            DJANGO_SETTINGS_MODULE="ding_site_settings",
            PYTHONPATH=str(tmp_path),
        )
        command = serve_command(handler, listener.fileno())
        with server(command, env, tmp_path, pass_fds=[listener.fileno()]) as running:
            listener.close()  # the server has its own copy
            running.wait_until_answering(f"{url}/sign-up/9999")
            with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
                outcomes = list(pool.map(partial(sign_up, url), range(REQUESTS)))
            failed = failures(outcomes, "valid")
            assert not failed, f"{failed}\n{running.output()}"
        assert api.codes_sent() == REQUESTS + 1
