"""Every check CI runs is a default session: `nox` with no arguments runs them all."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "types", "generated"]

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
PYPROJECT = nox.project.load_toml("pyproject.toml")


def install_groups(session: nox.Session, *groups: str) -> None:
    deps = [
        dep
        for group in groups
        for dep in nox.project.dependency_groups(PYPROJECT, group)
    ]
    session.install(*deps)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (asyncio and trio) on one interpreter."""
    # ruff formats the generated client, which tests/test_generate.py renders.
    install_groups(session, "test", "lint")
    session.install(".")
    session.run("pytest", *session.posargs)


@nox.session(python="3.12")
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    install_groups(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.12")
def types(session: nox.Session) -> None:
    """Type-check the package, tests, examples and scripts with mypy and pyright (strict)."""
    install_groups(session, "typing")
    session.install("-e", ".")
    session.run("mypy")
    session.run("pyright")


@nox.session(python="3.12")
def generated(session: nox.Session) -> None:
    """Fail when ding/_sync.py differs from a fresh generation."""
    install_groups(session, "lint")
    session.run("python", "scripts/generate_sync.py", "--check")


@nox.session(python="3.12")
def generate(session: nox.Session) -> None:
    """Regenerate ding/_sync.py from ding/_client.py."""
    install_groups(session, "lint")
    session.run("python", "scripts/generate_sync.py")
