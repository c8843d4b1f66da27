"""The seed SDK's ``ding.utils`` retry types, honoured by this SDK."""

from ding._pipeline._retry import BackoffStrategy, Retries, RetryConfig

__all__ = ["BackoffStrategy", "Retries", "RetryConfig"]
