"""The data model: attrs classes, the one cattrs converter, timestamps, argument checks.

Free of I/O: nothing here opens a connection or reads the environment.
"""
