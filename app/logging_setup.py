"""Logging for `maestro serve`: one format, and every line scrubbed of secrets and PII.

Two layers, because logging formats a record in steps:

* `ScrubbingFilter` on the root handlers masks the message before any handler sees the record;
* the scrubbing formatters mask the whole formatted text, which is where the exception
  traceback (`exc_text`) and `stack_info` are added, after the filters have run.

uvicorn's loggers (`uvicorn.error`, `uvicorn.access`) do not propagate to the root and format
with their own classes. `uvicorn_log_config()` is uvicorn's own logging config with those
formatters wrapped; `maestro serve` passes it to `uvicorn.run`, so access lines (whose request
path carries the query string) and server tracebacks are masked too.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter, DefaultFormatter

from checks.pii.scrub import scrub_text

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ScrubbingFilter(logging.Filter):
    """Masks secrets and personal data in the final message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; let logging report it
            return True
        record.msg = scrub_text(message)
        record.args = None
        return True


class _Scrubbing(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(super().format(record))


class ScrubbingFormatter(_Scrubbing):
    """A `logging.Formatter` whose output (message, traceback, stack) is scrubbed."""


class ScrubbingDefaultFormatter(_Scrubbing, DefaultFormatter):
    """uvicorn's default formatter (`uvicorn.error`), scrubbed."""


class ScrubbingAccessFormatter(_Scrubbing, AccessFormatter):
    """uvicorn's access-log formatter, scrubbed (the request line holds the query string)."""


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's LOGGING_CONFIG with its two formatters replaced by the scrubbing ones."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    formatters = config["formatters"]
    formatters["default"]["()"] = f"{__name__}.{ScrubbingDefaultFormatter.__name__}"
    formatters["access"]["()"] = f"{__name__}.{ScrubbingAccessFormatter.__name__}"
    return config


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format=FORMAT)
    scrubber = ScrubbingFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(scrubber)
        handler.setFormatter(ScrubbingFormatter(FORMAT))
