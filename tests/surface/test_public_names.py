"""The public surface: sorted, complete `__all__` lists that import cleanly."""

from __future__ import annotations

import importlib
import types

import pytest

import ding

MODULES = [
    "ding",
    "ding.models",
    "ding.models.shared",
    "ding.models.components",
    "ding.models.operations",
    "ding.models.errors",
    "ding.utils",
    "ding.testing",
    "ding.webhooks",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(
        exported, key=lambda n: (not n.isupper(), n)
    ) or exported == sorted(exported)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_every_public_name_of_ding_is_exported() -> None:
    public = {
        n
        for n, v in vars(ding).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public <= set(ding.__all__)


def test_dir_lists_every_exported_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # dir(ding) (and so a REPL's completion) shows every exported name,
    # sorted, those imported on their first access too: here as if none had
    # been read yet (in a fresh process: tests/surface/test_import_cost.py).
    for deferred in ("Code", "Ding", "Lookup", "Otp"):
        monkeypatch.delitem(vars(ding), deferred, raising=False)
    names = dir(ding)
    assert set(ding.__all__) <= set(names)
    assert names == sorted(names)


def test_every_error_derives_from_ding_error() -> None:
    for name in ding.__all__:
        obj = getattr(ding, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, Exception)
            and not issubclass(obj, Warning)
        ):
            assert issubclass(obj, ding.DingError), name


def test_seed_era_idioms_import() -> None:
    from ding.models import errors, operations, shared  # noqa: PLC0415
    from ding.models.errors import ErrorResponse, SDKError  # noqa: PLC0415
    from ding.utils import BackoffStrategy, RetryConfig  # noqa: PLC0415

    assert ding.RetryConfig is RetryConfig
    assert ding.BackoffStrategy is BackoffStrategy
    assert errors.ErrorResponse is ErrorResponse is ding.ErrorResponse
    assert errors.SDKError is SDKError is ding.SDKError
    assert operations.PostCheckResponse is operations.CheckResponse
    assert ding.shared is shared
    assert ding.SERVERS == ["https://api.ding.live/v1"]
