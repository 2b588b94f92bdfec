"""The node check gives the same verdict whatever the page size: gaps and bad nodes that span
pages, and a verification resumed after more appends, are judged as one pass over everything."""

from __future__ import annotations

import pytest
from ledger_app.helpers import Fill
from sqlalchemy import text

from app.db import read_snapshot
from app.ledger_verify import DatabaseVerification
from app.main import Services
from ledger.verify import VerifyReport

DAMAGE = {
    "intact": [],
    "leaf node deleted": ["DELETE FROM ledger_nodes WHERE level = 0 AND idx = 17"],
    "gap over pages": ["DELETE FROM ledger_nodes WHERE level = 1 AND idx BETWEEN 5 AND 9"],
    "inner node edited": [
        "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 3"
    ],
    "a whole level deleted": ["DELETE FROM ledger_nodes WHERE level = 3"],
    "leaf and parent edited": [
        "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 30",
        "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 15",
    ],
    "stray node past the end": ["INSERT INTO ledger_nodes VALUES (0, 41, zeroblob(32))"],
}


async def _verify(services: Services, pages: list[int]) -> VerifyReport:
    run = DatabaseVerification()
    for page in pages:  # one advance per page size: a verification resumed as the log grew
        async with read_snapshot(services.sessions) as session:
            await run.advance(session, page=page)
    async with read_snapshot(services.sessions) as session:
        return await run.report(session, [])


@pytest.mark.parametrize("damage", list(DAMAGE))
async def test_the_verdict_does_not_depend_on_the_page_size(
    damage: str, services: Services, fill: Fill
) -> None:
    await fill(41)
    async with services.sessions() as session, session.begin():
        for statement in DAMAGE[damage]:
            await session.execute(text(statement))
    whole = await _verify(services, [5000])
    assert whole.ok == (damage == "intact"), whole.message
    for pages in ([1], [3], [7], [16]):
        assert await _verify(services, pages) == whole, pages


async def test_a_resumed_verification_equals_a_full_one(services: Services, fill: Fill) -> None:
    run = DatabaseVerification()
    for more in (5, 1, 16, 9):
        await fill(more)
        async with read_snapshot(services.sessions) as session:
            await run.advance(session, page=4)
    async with read_snapshot(services.sessions) as session:
        resumed = await run.report(session, [])
    assert resumed == await _verify(services, [5000]) and resumed.verified == 31
    await fill(2)  # entries 31 and 32 complete (0, 31), (1, 15) … (4, 1) and (0, 32)
    async with services.sessions() as session, session.begin():
        await session.execute(text("DELETE FROM ledger_nodes WHERE level = 1 AND idx = 15"))
    async with read_snapshot(services.sessions) as session:
        await run.advance(session, page=4)
        resumed = await run.report(session, [])
    assert resumed == await _verify(services, [5000])
    assert resumed.first_bad_seq == 30 and "tree node (1, 15) is missing" in resumed.message
