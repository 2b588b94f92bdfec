"""How long to wait before retrying a failed GitHub API call (pure: headers in, seconds out).

GitHub's documented rules: on a primary rate limit (`x-ratelimit-remaining: 0`) wait until
`x-ratelimit-reset`; on a secondary rate limit honour `Retry-After`, or wait at least a minute
when it is absent; on 5xx back off exponentially. A wait longer than the caller accepts means
"give up now" so the delivery is retried later by the inbox instead of blocking a worker.
"""

from __future__ import annotations

from collections.abc import Mapping

SECONDARY_LIMIT_DEFAULT_WAIT = 60.0


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def retry_delay(
    status: int,
    headers: Mapping[str, str],
    message: str,
    attempt: int,
    now: float,
    *,
    max_retries: int,
    max_wait: float,
    backoff_base: float = 1.0,
) -> float | None:
    """Seconds to wait before retry `attempt + 1`, or None to give up."""
    if attempt > max_retries:
        return None
    delay: float | None = None
    retry_after = _header(headers, "retry-after")
    remaining = _header(headers, "x-ratelimit-remaining")
    reset = _header(headers, "x-ratelimit-reset")
    if status in (403, 429):
        if retry_after is not None:
            try:
                delay = max(0.0, float(retry_after))
            except ValueError:
                delay = SECONDARY_LIMIT_DEFAULT_WAIT
        elif remaining == "0" and reset is not None:
            try:
                delay = max(0.0, float(reset) - now) + 1.0
            except ValueError:
                delay = SECONDARY_LIMIT_DEFAULT_WAIT
        elif status == 429 or "secondary rate limit" in message.lower():
            delay = SECONDARY_LIMIT_DEFAULT_WAIT
        else:
            return None  # a plain 403 is a permission problem: retrying will not help
    elif status >= 500:
        delay = backoff_base * 2 ** (attempt - 1)
    else:
        return None
    if delay > max_wait:
        return None
    return delay
