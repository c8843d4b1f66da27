"""Benchmarks of the ding SDK against plain HTTP clients and the official SDK.

Run with ``nox -s bench`` (``-- --quick`` for a smoke run, ``-- --help`` for
the options), or ``python -m benchmarks`` in an environment with this project,
aiohttp, requests and matplotlib installed.

Every competitor runs in a process of its own, against local servers that
run in processes of their own: a minimal fixed-answer HTTP server for the
micro-benchmarks (`benchmarks._server`), and ``python -m ding.testing`` for
the OTP flow. Each scenario measures its competitors side by side in the
same run, round after round, and reports medians, spread, ratios to a
reference, failures, and the CPU share of the server and of the client.

This package must not import ``ding`` at the top of any module: the worker
(`benchmarks._worker`) also runs where ``ding`` is the official SDK.
"""
