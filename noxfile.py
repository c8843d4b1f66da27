"""Every check CI runs is a default session: `nox` with no arguments runs them all."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import nox
import platformdirs
from nox.logger import logger
from python_discovery import DiskCache, get_interpreter

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [
    "tests",
    "coverage",
    "lint",
    "types",
    "generated",
    "examples",
    "runtimes",
    "conformance",
    "mixed-install",
    "fuzz",
    "docs",
    "mutants-sample",
]

PYPROJECT = nox.project.load_toml("pyproject.toml")
# One `tests` session per `Programming Language :: Python :: 3.X` classifier.
PYTHONS = nox.project.python_versions(PYPROJECT)
ROOT = Path(__file__).resolve().parent
# Every `tests` session writes its own .nox/.coverage.* file (`parallel =
# true`); the `coverage` session combines them into .nox/.coverage. (Not a
# folder under .nox/: nox would take one named like a session for its venv.)
COVERAGE_ENV = {"COVERAGE_FILE": str(ROOT / ".nox" / ".coverage")}
# Where it is found, every session but `tests` runs on it.
PREFERRED_PYTHON = "3.12"


def python_found(version: str) -> bool:
    """Whether nox finds an interpreter for *version*.

    Asks python-discovery, nox's own way of finding interpreters (PATH,
    pyenv, mise, asdf, uv), through the cache nox keeps, so that nox's own
    lookup afterwards costs nothing.
    """
    try:
        cache = DiskCache(
            root=Path(platformdirs.user_cache_dir("nox")) / "python-discovery"
        )
        return get_interpreter(version, cache=cache) is not None
    except OSError:  # an unwritable cache directory
        return get_interpreter(version) is not None


def tools_python() -> str:
    """The Python every session but `tests` runs on.

    PREFERRED_PYTHON where it is found, as on the CI machine; else the one
    nox runs on, which is always there, if it is a supported one; else the
    newest supported one found. So a machine with a single Python still runs
    lint, types and the rest, not only its `tests` session.
    """
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = [version for version in PYTHONS if python_found(version)]
    missing = [version for version in PYTHONS if version not in found]
    if PREFERRED_PYTHON in found:
        chosen = PREFERRED_PYTHON
    elif running in PYTHONS:
        chosen = running
    else:
        chosen = found[-1] if found else PREFERRED_PYTHON
    if missing:
        skipped = ", ".join(f"tests-{version}" for version in missing)
        logger.warning(
            f"Python {', '.join(missing)} not found: {skipped} cannot run here "
            "(nox skips them, or fails with --error-on-missing-interpreters, as "
            f"in CI). The other sessions run on Python {chosen}."
        )
    return chosen


# lint, types, generated, examples, runtimes, conformance, mixed-install,
# fuzz, docs, coverage, generate and bench run on this one interpreter.
TOOLS_PYTHON = tools_python()
# The one `tests` session that runs under coverage.
COVERED_PYTHON = TOOLS_PYTHON
# The official SDK's last release; it installs a package named `ding` too.
OFFICIAL_SDK = "ding-api-client==3.9.120"


def install_groups(session: nox.Session, *groups: str) -> None:
    deps = [
        dep
        for group in groups
        for dep in nox.project.dependency_groups(PYPROJECT, group)
    ]
    session.install(*deps)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (asyncio and trio) on one interpreter.

    Under coverage on COVERED_PYTHON only: the code has no per-version
    branch, and coverage's tracer nearly doubled the suite's time on the
    older interpreters, which kept CI near its time budget.
    """
    # ruff formats the generated client, which
    # tests/sync/test_generated_code.py renders.
    install_groups(session, "test", "lint", "coverage")
    session.install(".")
    # The pytest script, not `-m pytest`: `-m` would put the source tree first
    # on sys.path, and the tests would import ding/ instead of the installed copy.
    pytest = str(Path(session.bin) / "pytest")
    # One pytest-xdist worker per CPU: the suite took about 1.8 times as long
    # on one as on both of CI's two. Coverage follows the workers (its
    # subprocess patch, pyproject.toml).
    workers = ("-n", "auto")
    # The runtime matrix has sessions of its own, with its dependencies.
    ignore = "--ignore=tests/runtimes"
    if session.python == COVERED_PYTHON:
        session.run(
            "coverage",
            "run",
            pytest,
            *workers,
            ignore,
            *session.posargs,
            env=COVERAGE_ENV,
        )
    else:
        # Every property test with a quarter of its examples (tests/_examples.py):
        # the session under coverage draws them all.
        session.run(
            pytest,
            *workers,
            ignore,
            *session.posargs,
            env={"DING_EXAMPLES_SCALE": "0.25"},
        )


@nox.session(python=TOOLS_PYTHON)
def coverage(session: nox.Session) -> None:
    """Combine the data of the tests session under coverage; fail under the floor."""
    install_groups(session, "coverage")
    session.run("coverage", "combine", env=COVERAGE_ENV)
    session.run("coverage", "report", env=COVERAGE_ENV)


@nox.session(python=TOOLS_PYTHON)
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    install_groups(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=TOOLS_PYTHON)
def types(session: nox.Session) -> None:
    """Type-check the package, tests, examples, scripts and README blocks (strict)."""
    install_groups(session, "typing")
    session.install("-e", ".")
    session.run("mypy")
    session.run("pyright")
    # README.md's code blocks, strict too, and the documented mistakes of
    # tests/static_types/usage.py, which both checkers must flag; the
    # `tests` sessions, without the type checkers installed, skip these.
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "tests/policy/test_doc_examples.py::test_blocks_type_check_under_mypy",
        "tests/policy/test_doc_examples.py::test_blocks_type_check_under_pyright",
        "tests/policy/test_static_types.py",
    )


@nox.session(python=TOOLS_PYTHON)
def generated(session: nox.Session) -> None:
    """Fail when ding/_sync/_client.py differs from a fresh generation."""
    install_groups(session, "lint")
    session.run("python", "scripts/generate_sync.py", "--check")


@nox.session(python=TOOLS_PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate ding/_sync/_client.py from ding/_client.py."""
    install_groups(session, "lint")
    session.run("python", "scripts/generate_sync.py")


@nox.session(python=TOOLS_PYTHON)
def examples(session: nox.Session) -> None:
    """Run every example against the embedded fake, then their tests.

    Each script runs as a newcomer would run it; the test_*.py modules
    (the FastAPI app end to end, the Flask app under gunicorn --preload,
    the worker) run under pytest, with the fixtures of ding's plugin.
    """
    install_groups(session, "examples")
    session.install(".")
    found = sorted(Path("examples").glob("*.py"))
    tests = [str(path) for path in found if path.name.startswith("test_")]
    for example in found:
        if str(example) not in tests:
            session.run("python", str(example), env={"DING_API_KEY": ""})
    if tests:  # without arguments pytest would run the whole suite
        # The pytest script, not `-m pytest`, as in `tests`: the installed ding.
        pytest = str(Path(session.bin) / "pytest")
        session.run(pytest, "-p", "no:cacheprovider", *tests, env={"DING_API_KEY": ""})


# The modules of tests/runtimes/ that `runtimes-heavy` runs, and `runtimes`
# leaves out: pip compiles uWSGI at install (about 40 s on two cores), and
# Jupyter's kernel and client are a large install.
HEAVY_RUNTIMES = (
    "tests/runtimes/test_under_uwsgi.py",
    "tests/runtimes/test_in_jupyter.py",
)


@nox.session(python=TOOLS_PYTHON)
def runtimes(session: nox.Session) -> None:
    """Run ding.Ding where legacy code runs: tests/runtimes/ but the heavy modules.

    gevent and eventlet, gunicorn's gevent workers, Celery's worker pools,
    Django over WSGI and ASGI, multiprocessing; each in processes of its own,
    against the fake over TCP.
    """
    install_groups(session, "runtimes")
    session.install(".")
    # The pytest script, not `-m pytest`, as in `tests`: the installed ding.
    pytest = str(Path(session.bin) / "pytest")
    ignore = [f"--ignore={module}" for module in HEAVY_RUNTIMES]
    # Two workers on CI's two cores: most tests wait on their programs.
    workers = ("-n", "auto")
    session.run(
        pytest,
        "-p",
        "no:cacheprovider",
        *workers,
        "tests/runtimes",
        *ignore,
        *session.posargs,
    )


@nox.session(python=TOOLS_PYTHON, name="runtimes-heavy")
def runtimes_heavy(session: nox.Session) -> None:
    """Run the heavy modules of tests/runtimes/: uWSGI's stop, Jupyter's cells.

    On demand: pip compiles uWSGI at install, which takes a minute.
    """
    install_groups(session, "runtimes-heavy")
    session.install(".")
    pytest = str(Path(session.bin) / "pytest")
    # In one process: the uWSGI test compares the time of two stops.
    session.run(pytest, "-p", "no:cacheprovider", *HEAVY_RUNTIMES, *session.posargs)


# Mutants tested side by side: two per CPU, since many tests wait on a
# socket or a deadline rather than compute.
MUTANT_PROCESSES = 2 * (os.cpu_count() or 1)
# A quarter of each property test's examples, as in the tests sessions but
# the one under coverage. Bytecode written even where the environment says
# not to: each mutant's process imports the mutated modules (every mutant of
# a module is a function of its copy), and compiling them anew each time
# took seconds per mutant.
MUTANT_ENV = {"DING_EXAMPLES_SCALE": "0.25", "PYTHONDONTWRITEBYTECODE": ""}


@nox.session(python=TOOLS_PYTHON)
def mutants(session: nox.Session) -> None:
    """Mutation-test the SDK core with mutmut; report the score of each module.

    `[tool.mutmut]` in pyproject.toml names the modules and the tests. mutmut
    keeps its results in mutants/ and runs again only what changed; arguments
    go to `mutmut run` (a mutant's name, or a glob such as
    'ding._pipeline._retry*').
    """
    install_groups(session, "mutation")
    session.install(".")
    run_mutants(session, ROOT, session.posargs)


# CI's share of `mutants`: every mutant of the modules whose mistakes would
# cost a user most, against the tests of those modules' promises, so that it
# fits CI's time budget: the retry rules, which the docs state to the number
# (a retried POST can send a second SMS), the asyncio transport, which every
# asyncio call goes through, and the bounded body reads, the size rule every
# answer goes through. mutmut runs each mutant against the listed tests that
# reach its function.
SAMPLE_MODULES = (
    "ding/_pipeline/_retry.py",
    "ding/_transport/_aiohttp.py",
    "ding/_transport/_body.py",
)
SAMPLE_TESTS = (
    "tests/pipeline/test_retry.py",
    "tests/transport/test_asyncio_transport.py",
    "tests/transport/test_own_pool.py",
    "tests/transport/test_body_reads.py",
    "tests/transport/test_response_size.py",
)


@nox.session(python=TOOLS_PYTHON, name="mutants-sample")
def mutants_sample(session: nox.Session) -> None:
    """Mutation-test the retry rules, the asyncio transport and the body reads.

    In a copy of the project under .nox/, whose `[tool.mutmut]` mutates those
    modules only and selects their tests; every mutant must be killed or
    listed as equivalent.
    """
    install_groups(session, "mutation")
    session.install(".")
    work = Path(session.create_tmp()) / "mutants-sample"
    shutil.rmtree(work, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    # The docs and scripts too: the fault matrix checks that the reliability
    # page names tests that exist, and a test of unclosed clients runs the
    # soak script.
    for folder in ("ding", "tests", "docs", "scripts"):
        shutil.copytree(ROOT / folder, work / folder, ignore=ignore)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    kept, table, rest = pyproject.partition("\n[tool.mutmut]\n")
    if not table or "\n[" in rest:
        session.error("[tool.mutmut] must be the last table of pyproject.toml")
    settings = PYPROJECT["tool"]["mutmut"]
    sample = {
        **{
            key: settings[key]
            for key in (
                "source_paths",
                "process_isolation",
                "forkserver_warmup",
                "preload_modules_file",
                "timeout_constant",
                "timeout_multiplier",
            )
        },
        "only_mutate": list(SAMPLE_MODULES),
        "also_copy": ["docs/", "scripts/"],
        "pytest_add_cli_args": settings["pytest_add_cli_args"],
        "pytest_add_cli_args_test_selection": list(SAMPLE_TESTS),
    }
    (work / "pyproject.toml").write_text(
        kept
        + table
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in sample.items()),
        encoding="utf-8",
    )
    # Every mutant is killed or listed: a new survivor fails CI.
    run_mutants(session, work, [], fail_under=100)


def run_mutants(
    session: nox.Session,
    project: Path,
    names: Sequence[str],
    *,
    fail_under: int | None = None,
) -> None:
    """`mutmut run` in project (only the named mutants, if any), then the report."""
    with session.chdir(project):
        session.run(
            "mutmut",
            "run",
            "--max-children",
            str(MUTANT_PROCESSES),
            *names,
            env=MUTANT_ENV,
        )
    limit = [] if fail_under is None else ["--fail-under", str(fail_under)]
    report = str(ROOT / "scripts" / "mutation_report.py")
    session.run("python", report, "--mutants", str(project / "mutants"), *limit)


@contextlib.contextmanager
def fake_server(session: nox.Session) -> Generator[str]:
    """Run `python -m ding.testing` from the source tree; yield its base URL."""
    python = Path(session.bin) / "python"
    process = subprocess.Popen(  # noqa: S603 - the session's own interpreter
        [str(python), "-m", "ding.testing", "--port", "0", "--seed", "1", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None  # noqa: S101 - stdout=PIPE
        url = process.stdout.readline().strip()
        if not url:
            session.error("the fake server did not start")
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


@nox.session(python=TOOLS_PYTHON)
def conformance(session: nox.Session) -> None:
    """Run the official SDK (ding-api-client 3.9.120) through the flow against the fake."""
    # Both packages are named `ding`: the official one is installed, this
    # project only provides the fake, from the source tree, in its own process.
    session.install(OFFICIAL_SDK, *PYPROJECT["project"]["dependencies"])
    with fake_server(session) as url:
        session.run("python", "tests/conformance/official_sdk_flow.py", url)


@nox.session(python=TOOLS_PYTHON, name="mixed-install", reuse_venv=False)
def mixed_install(session: nox.Session) -> None:
    """Install this project over ding-api-client: `import ding` must say how to fix it.

    In a fresh environment each time: pip installs both without a word, and
    the mix used to fail only on the first call, with an AttributeError.
    Then runs the commands the message gives, as given, and imports again.
    """
    script = "tests/conformance/mixed_install.py"
    session.install(OFFICIAL_SDK)
    session.install(".")
    message = session.run("python", script, "mixed", silent=True)
    assert isinstance(message, str)  # noqa: S101 - silent=True returns the output
    print(message)  # noqa: T201 - the error a user would see
    fix = [
        shlex.split(line) for line in message.splitlines() if line.startswith("    ")
    ]
    if len(fix) != 2:  # noqa: PLR2004 - uninstall, then install
        session.error(f"expected two commands in the message, found {fix}")
    for command in fix:
        session.run(*command, silent=True)
    session.run("python", script, "fixed")


# The checks `nox -s fuzz` runs on every response schemathesis provokes.
FUZZ_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
# Tested with this version; its CLI options and check names are used as-is.
SCHEMATHESIS = "schemathesis==4.32.5"
# Loaded by schemathesis (SCHEMATHESIS_HOOKS): the contract's `phone_number`
# format is unknown to it, and random strings never pass the fake's E.164
# check, so without this no lookup, create or feedback would get past a 400.
FUZZ_HOOKS = """\
import schemathesis
from hypothesis import strategies as st

schemathesis.openapi.format(
    "phone_number",
    st.sampled_from(["+14155550123", "+15005550001", "+15005550002", "+15005550003"])
    | st.from_regex(r"\\A\\+[1-9][0-9]{1,14}\\Z"),
)
"""


@nox.session(python=TOOLS_PYTHON)
def fuzz(session: nox.Session) -> None:
    """Fuzz the fake with schemathesis, and the client with arbitrary answers.

    Runs tests/conformance/openapi.yaml's six operations (examples, coverage
    and fuzzing phases) against `python -m ding.testing`. The seed is fixed so
    that CI is reproducible; explore more with e.g.
    `nox -s fuzz -- --seed 7 --max-examples 1000` (later options win). Then
    sends 2,000 generated answers to the client, 1,000 on asyncio and 1,000
    on trio (`DING_FUZZ_EXAMPLES=10000 nox -s fuzz` for 10,000 on each): each
    must become a result or a `ding.DingError` that does not show the key.
    """
    session.install(SCHEMATHESIS, *PYPROJECT["project"]["dependencies"])
    work = Path(session.create_tmp())
    (work / "ding_fuzz_hooks.py").write_text(FUZZ_HOOKS, encoding="utf-8")
    schema = ROOT / "tests" / "conformance" / "openapi.yaml"
    # schemathesis keeps .hypothesis/ and .schemathesis/ in the working directory.
    with fake_server(session) as url, session.chdir(work):
        session.run(
            "schemathesis",
            "run",
            str(schema),
            "--url",
            url,
            "--checks",
            ",".join(FUZZ_CHECKS),
            "--max-examples",
            "200",
            "--seed",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            *session.posargs,
            env={"SCHEMATHESIS_HOOKS": "ding_fuzz_hooks", "PYTHONPATH": str(work)},
        )
    # The other side: the client against arbitrary answers (status, content
    # type, body): 1,000 on each backend, 2,000 in all, unless
    # DING_FUZZ_EXAMPLES (per backend) says otherwise.
    install_groups(session, "test")
    session.install(".")
    session.run(
        str(Path(session.bin) / "pytest"),
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/pipeline/test_error_mapping.py::test_any_answer_is_an_envelope_or_a_ding_error",
        env={"DING_FUZZ_EXAMPLES": os.environ.get("DING_FUZZ_EXAMPLES", "1000")},
    )


@nox.session(python=TOOLS_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site (mkdocs.yml) into site/, every warning an error.

    The API reference is read from the source tree's docstrings, so nothing
    is installed but the tools. The pages' python blocks are run and
    type-checked by tests/policy/test_doc_examples.py, with the README's.
    """
    install_groups(session, "docs")
    # Material for MkDocs prints a banner about its end of life on each build.
    session.run(
        "mkdocs", "build", "--strict", "--clean", env={"NO_MKDOCS_2_WARNING": "1"}
    )


@nox.session(python=TOOLS_PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmark ding against plain httpx, requests, aiohttp and the official SDK.

    On demand only. Prints a table and writes benchmarks/results/latest.json
    and latest.png; `nox -s bench -- --quick` is a smoke run, `-- --help`
    lists the options, `-- --only stall` measures the largest event-loop
    stall during a first call, with the import times of the same run.
    Competitors run in four environments: this session's (this project,
    aiohttp, requests, matplotlib; no trio and no OpenTelemetry, as with a
    plain install of ding), one with trio for the trio scenarios, one with
    the OpenTelemetry API and SDK for the otel scenarios (`-- --only otel`),
    and one with the official SDK, whose package is also named `ding`.
    """
    install_groups(session, "bench")
    session.install("-e", ".")
    trio = [
        dep
        for dep in nox.project.dependency_groups(PYPROJECT, "test")
        if dep.startswith("trio")
    ]
    otel = [
        dep
        for dep in nox.project.dependency_groups(PYPROJECT, "test")
        if dep.startswith(("opentelemetry-api", "opentelemetry-sdk"))
    ]
    # The otel scenarios compare this session's client with the otel
    # environment's: the packages both have are held to this session's
    # versions, so that only OpenTelemetry differs.
    constraints = Path(session.create_tmp()) / "bench-constraints.txt"
    frozen = session.run(
        "python", "-m", "pip", "freeze", "--exclude-editable", silent=True
    )
    constraints.write_text(str(frozen), encoding="utf-8")
    extra = {
        "official": [OFFICIAL_SDK],
        "trio": ["-e", str(ROOT), *trio],
        "otel": ["-c", str(constraints), "-e", str(ROOT), *otel],
    }
    pythons: dict[str, str] = {}
    for name, packages in extra.items():
        location = Path(session.create_tmp()) / f"bench-{name}"
        python = location / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        if not python.exists():
            session.run("python", "-m", "venv", str(location))
        session.run(
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *packages,
            external=True,
        )
        pythons[name] = str(python)
    session.run(
        "python",
        "-m",
        "benchmarks",
        "--official-python",
        pythons["official"],
        "--trio-python",
        pythons["trio"],
        "--otel-python",
        pythons["otel"],
        *session.posargs,
    )
