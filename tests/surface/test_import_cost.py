"""What ``import ding`` loads, and what it leaves for the first use that needs it.

Each check runs in a fresh interpreter, since this test process has long
imported everything. Nothing here measures time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import ding

ROOT = str(Path(ding.__file__).resolve().parents[1])

#: Modules a plain ``import ding`` must not import: the data model (built on
#: the first call or the first read of a model name), the sync client and its
#: background event loop, the model namespaces kept for old import paths
#: (but ``ding.shared``), the fake server, the error for a package directory
#: shared with ding-api-client, the optional aiohttp transport, the ``ding``
#: command, the optional phone number library (loaded on the first number),
#: and the event loops themselves. (Not click, which the command
#: uses: ``import httpx`` imports it wherever it is installed, looking for
#: the optional dependencies of httpx's own command line.)
NOT_IMPORTED = (
    "ding._schema._models",
    "ding._sync._client",
    "ding._sync._portal",
    "anyio.from_thread",
    "concurrent.futures",
    "ding.models.components",
    "ding.models.errors",
    "ding.models.operations",
    "ding.testing",
    "ding._mixed_install",
    "ding._transport._aiohttp",
    "aiohttp",
    "ding._cli._main",
    "phonenumbers",
    "asyncio",
    "trio",
)


def modules_after(code: str) -> set[str]:
    """Run *code* in a fresh interpreter; return the names in `sys.modules`."""
    script = textwrap.dedent(code) + (
        "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ROOT},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_import_ding_leaves_the_sync_client_and_extras_alone() -> None:
    loaded = modules_after("import ding")
    assert sorted(loaded & set(NOT_IMPORTED)) == []


def test_the_sync_client_loads_on_first_access() -> None:
    loaded = modules_after(
        """
        import ding
        assert ding.Ding.__module__ == "ding._sync._client"
        """
    )
    assert {"ding._sync._client", "ding._sync._portal"} <= loaded


def test_from_ding_import_the_sync_names() -> None:
    loaded = modules_after(
        """
        from ding import Ding, Lookup, Otp
        import ding._sync._client
        assert (Ding, Lookup, Otp) == (
            ding._sync._client.Ding, ding._sync._client.Lookup, ding._sync._client.Otp
        )
        """
    )
    assert "ding._sync._portal" in loaded


def test_the_model_namespaces_load_on_first_access() -> None:
    loaded = modules_after(
        """
        import ding
        assert ding.models.components.Attempt is ding._schema._models.Attempt
        assert ding.models.errors.Code is ding._schema._models.Code
        assert ding.models.operations.CheckResponse is ding._schema._models.PostCheckResponse
        """
    )
    assert {"ding.models.components", "ding.models.operations"} <= loaded


def test_the_error_code_enum_is_a_top_level_name_read_on_first_access() -> None:
    loaded = modules_after(
        """
        import sys
        import ding
        assert "ding._schema._models" not in sys.modules
        assert ding.Code is sys.modules["ding._schema._models"].Code
        from ding import Code
        from ding.models import errors
        assert Code is errors.Code
        assert Code.INVALID_PHONE_NUMBER == "invalid_phone_number"
        """
    )
    assert "ding.models.errors" in loaded


def test_dir_lists_every_exported_name_before_first_access() -> None:
    modules_after(
        """
        import ding, ding.models
        for module in (ding, ding.models):
            names = dir(module)
            assert set(module.__all__) <= set(names), module
            assert names == sorted(names)
        """
    )


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    modules_after(
        """
        import ding
        try:
            ding.NoSuchName
        except AttributeError as exc:
            assert "NoSuchName" in str(exc)
        else:
            raise AssertionError("no AttributeError")
        """
    )


def test_the_models_load_on_the_first_read_of_a_model_name() -> None:
    loaded = modules_after(
        """
        import sys
        import ding
        assert "ding._schema._models" not in sys.modules
        assert ding.shared.Status.PENDING == "pending"
        assert ding.shared.Status is sys.modules["ding._schema._models"].Status
        """
    )
    assert "ding._schema._models" in loaded


def test_the_first_call_builds_the_models_it_needs() -> None:
    modules_after(
        """
        import sys
        import anyio, httpx
        import ding

        def answer(request):
            return httpx.Response(200, json={"authentication_uuid": "a-1", "status": "pending"})

        async def main():
            http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
            async with ding.AsyncDing(
                api_key="k", customer_uuid="c", server_url="https://x.test/v1", client=http
            ) as client:
                assert "ding._schema._models" not in sys.modules
                res = await client.otp.create_authentication(phone_number="+14155550123")
            assert res.create_authentication_response.status is ding.shared.Status.PENDING

        anyio.run(main)
        """
    )


def test_threads_racing_for_the_first_model_all_see_it() -> None:
    # The models load under the interpreter's import lock: no thread may see
    # a half-built module (an AttributeError) while another one builds it.
    modules_after(
        """
        import sys, threading
        import ding
        from ding import _client
        assert "ding._schema._models" not in sys.modules
        start = threading.Barrier(16)
        seen, failed = [], []

        def first_read():
            start.wait()
            try:
                seen.append(_client._models.AuthenticationStatusResponse)
            except BaseException as exc:
                failed.append(exc)

        threads = [threading.Thread(target=first_read) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failed == [], failed
        assert len(set(seen)) == 1 and len(seen) == 16
        """
    )


def test_phonenumbers_loads_on_the_first_number_only() -> None:
    loaded = modules_after(
        """
        import sys
        import ding
        client = ding.AsyncDing(api_key="k")
        assert "phonenumbers" not in sys.modules
        assert ding.normalize_phone_number("+33 6 12 34 56 78") == "+33612345678"
        """
    )
    assert "phonenumbers" in loaded
    # A client given a default_region checks it against the library's regions.
    assert "phonenumbers" in modules_after(
        "import ding\nding.AsyncDing(api_key='k', default_region='FR')"
    )
