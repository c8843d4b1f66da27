"""The request pipeline: build, send, retry, bound, and map what went wrong.

Every operation of `ding.AsyncDing` goes through `ding._pipeline._send`:
the retry policy, the deadline of a call, the error an answer or a failure
maps to, the hint it carries, and its log line.
"""
