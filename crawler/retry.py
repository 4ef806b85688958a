"""The retry policy: which failures are tried again, how soon, and how often (tenacity).

Retryable errors (timeouts, connection failures, truncated bodies, 408/429/5xx) are retried with
exponential backoff and jitter, never sooner than the server's ``Retry-After`` (capped). Short
waits are slept in place; a longer one hands the job back to the frontier with its next-attempt
time, so no worker idles and a restart keeps the schedule. The attempt count lives in the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from tenacity.stop import stop_base

from crawler.errors import FetchError, RetryableFetchError
from crawler.settings import Settings

INLINE_WAIT_MAX_S = 5.0


class _stop_on_long_wait(stop_base):
    """Stop the in-place loop when the next wait is long: the frontier reschedules instead."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.upcoming_sleep > self.limit_s


class RetryPolicy:
    def __init__(self, settings: Settings) -> None:
        self.max_attempts = settings.max_attempts
        self.retry_after_cap_s = settings.retry_after_cap_s
        self._backoff = wait_exponential_jitter(
            multiplier=settings.backoff_initial_s, max=settings.backoff_max_s, jitter=settings.backoff_initial_s
        )

    def is_retryable(self, error: BaseException, attempts: int) -> bool:
        return isinstance(error, RetryableFetchError) and attempts < self.max_attempts

    def wait_s(self, attempts: int, error: BaseException | None) -> float:
        """Seconds before the next try after ``attempts`` tries ended with ``error``."""
        state = RetryCallState(retry_object=AsyncRetrying(), fn=None, args=(), kwargs={})
        state.attempt_number = max(1, attempts)
        wait = float(self._backoff(state))
        retry_after = getattr(error, "retry_after_s", None)
        if retry_after is not None:
            wait = max(wait, min(float(retry_after), self.retry_after_cap_s))
        return wait

    def inline_wait(self, error: BaseException, attempts_before: int) -> float | None:
        """After the first try of ``retrying(attempts_before)`` failed with ``error``: the seconds to wait
        before trying again in place, or None where that loop would stop (not retryable, no attempt
        left, a long wait). Lets a caller make its first try without the loop's machinery, as
        ``retrying(attempts_before, tried=1)`` goes on from there."""
        if not isinstance(error, RetryableFetchError) or self.max_attempts - attempts_before <= 1:
            return None
        wait = self.wait_s(1, error)
        return None if wait > INLINE_WAIT_MAX_S else wait

    def retrying(
        self, attempts_so_far: int, *, before_sleep: Callable[[RetryCallState], Awaitable[None]] | None = None,
        tried: int = 0,
    ) -> AsyncRetrying:
        """The in-place retry loop for a job that had ``attempts_so_far`` tries before this run, ``tried`` of
        them already in this run's loop (its backoff goes on from there)."""
        remaining = max(1, self.max_attempts - attempts_so_far - tried)

        def wait(retry_state: RetryCallState) -> float:
            outcome = retry_state.outcome
            error = outcome.exception() if outcome is not None else None
            return self.wait_s(retry_state.attempt_number + tried, error)

        return AsyncRetrying(
            stop=stop_after_attempt(remaining) | _stop_on_long_wait(INLINE_WAIT_MAX_S),
            wait=wait,
            retry=retry_if_exception_type(RetryableFetchError),
            before_sleep=before_sleep,
            reraise=True,
        )


def describe(error: FetchError) -> str:
    """The reason a person reads in the store and the summary."""
    return str(error) or type(error).__name__
