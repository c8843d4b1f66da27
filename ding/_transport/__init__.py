"""Connections: one httpx client per event loop, its queue and its transports.

The SDK's own transports (aiohttp on asyncio, httpcore on trio), the rules
for reusing a pooled connection, bounded body reads, and the cleanup of
clients nobody closed.
"""
