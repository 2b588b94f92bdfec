"""No secret or personal data reaches the ledger or the logs."""

from __future__ import annotations

import io
import logging

from app.ledger_store import LedgerRecord, append
from app.logging_setup import ScrubbingFilter
from app.main import Services

TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


async def test_ledger_payload_is_scrubbed_before_hashing(services: Services) -> None:
    async with services.sessions() as session, session.begin():
        row = await append(
            session,
            LedgerRecord(
                kind="delivery.failed",
                payload={"error": f"GitHub rejected token {TOKEN}", "head_sha": "a" * 40},
            ),
        )
    assert TOKEN not in (row.payload or "")
    assert "ghp_" in (row.payload or "") and "a" * 40 in (row.payload or "")


def test_log_records_are_scrubbed() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    logger = logging.getLogger("maestro.test-scrub")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("auth failed with %s for jane.doe@gmail.com, card 4539 1488 0343 6467", TOKEN)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert TOKEN not in text
    assert "jane.doe@gmail.com" not in text and "4539 1488 0343 6467" not in text
    assert text.startswith("auth failed with ghp_")
