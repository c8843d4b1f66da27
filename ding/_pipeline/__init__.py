"""The request pipeline: build, send, retry, bound, and map what went wrong.

Every operation of `ding.AsyncDing` goes through `_send.Pipeline`, which
asks the retry policy (`_retry`) whether to try again, bounds each attempt
(`_deadline`), maps a failed answer onto the error tree (`_failures`) and
an exception with its hint (`_explain`), and logs each attempt (`_log`).
"""
