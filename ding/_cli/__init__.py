"""The ``ding`` command: each operation from a shell, and the fake over TCP.

The console script is ``ding = "ding._cli._main:main"``; `_render` draws a
JSON answer as a table for a terminal.
"""
