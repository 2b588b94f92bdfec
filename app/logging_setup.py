"""Logging for `maestro serve`: one format, and every record scrubbed of secrets and PII."""

from __future__ import annotations

import logging

from checks.pii.scrub import scrub_text


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


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    scrubber = ScrubbingFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(scrubber)
