"""Maestro's own trouble as data: what went wrong, said without secrets, and whether retrying can
help. The Proof Card shows it as a neutral card (never red) with a Re-run button.

Transient trouble (GitHub 5xx, rate limits, timeouts, network, database) is retried by the inbox
worker: meanwhile the card stays `in_progress` and says Maestro is retrying; the last attempt
completes it `neutral`. Permanent trouble (an artifact over the size limit, a 4xx GitHub will
answer again) completes the card `neutral` at once. Unknown exceptions are retried like
transient ones: a crash may be a race, and the last attempt still ends neutral.
"""

from __future__ import annotations

from http import HTTPStatus

import httpx
from gidgethub import BadRequest, GitHubBroken, HTTPException, RateLimitExceeded
from sqlalchemy.exc import SQLAlchemyError

from checks.proofcard import Trouble
from handlers.port import DownloadTooLarge

# 4xx answers worth another attempt (token expiry, timeouts, conflicts, rate limits).
_RETRYABLE_4XX = frozenset({401, 408, 409, 429})


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def classify(exc: BaseException) -> tuple[Trouble, bool]:
    """(the trouble to show, whether another attempt may succeed). `detail` never carries the
    exception's message (which may hold URLs with signed tokens), only a status or a type."""
    if isinstance(exc, RateLimitExceeded):
        return Trouble(code="github_rate_limited", detail=_status_text(403)), True
    if isinstance(exc, GitHubBroken):
        return Trouble(code="github_error", detail=_status_text(int(exc.status_code))), True
    if isinstance(exc, BadRequest | HTTPException):
        status = int(exc.status_code)
        return Trouble(code="github_error", detail=_status_text(status)), status in _RETRYABLE_4XX
    if isinstance(exc, DownloadTooLarge):
        mib = 1024 * 1024
        limit = f"{exc.limit // mib} MB" if exc.limit >= mib else f"{exc.limit} bytes"
        return Trouble(code="artifact_too_large", detail=f"over {limit}"), False
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return Trouble(code="github_error", detail=_status_text(status)), status >= 500
    if isinstance(exc, httpx.TransportError | TimeoutError | ConnectionError):
        return Trouble(code="github_unreachable", detail=type(exc).__name__), True
    if isinstance(exc, SQLAlchemyError):
        return Trouble(code="database_error", detail=type(exc).__name__), True
    return Trouble(code="crash", detail=type(exc).__name__), True
