"""The offline OSV index in the database: import advisories, load those for given packages.

One row per (advisory, ecosystem, normalised package) so that a pull request's changed
components load only the advisories that can affect them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.tables import OsvAdvisory
from checks.sbom.ecosystems import base_ecosystem, normalise_name
from checks.sbom.models import Advisory, Component
from checks.sbom.osv import OsvIndex

BATCH = 500


async def import_advisories(session: AsyncSession, advisories: Iterable[Advisory]) -> int:
    """Insert or replace advisories; returns how many records were stored."""
    stored = 0
    for adv in advisories:
        record = adv.model_dump_json()
        keys = {
            (base_ecosystem(a.ecosystem), normalise_name(base_ecosystem(a.ecosystem), a.name))
            for a in adv.affected
        }
        for ecosystem, package in keys:
            row = await session.get(OsvAdvisory, (adv.id, ecosystem, package))
            if row is None:
                session.add(
                    OsvAdvisory(
                        advisory_id=adv.id,
                        ecosystem=ecosystem,
                        package=package,
                        modified=adv.modified,
                        record=record,
                    )
                )
            else:
                row.modified, row.record = adv.modified, record
        stored += 1
        if stored % BATCH == 0:
            await session.flush()
    return stored


async def advisory_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(select(func.count(func.distinct(OsvAdvisory.advisory_id)))) or 0
    )


async def index_for(session: AsyncSession, components: Iterable[Component]) -> OsvIndex:
    """An in-memory index holding only the advisories for these components' packages."""
    keys = {
        (base_ecosystem(c.ecosystem), normalise_name(base_ecosystem(c.ecosystem), c.name))
        for c in components
        if c.ecosystem
    }
    index = OsvIndex()
    if not keys:
        return index
    seen: set[str] = set()
    key_list = sorted(keys)
    for start in range(0, len(key_list), BATCH):
        rows = await session.execute(
            select(OsvAdvisory.advisory_id, OsvAdvisory.record).where(
                tuple_(OsvAdvisory.ecosystem, OsvAdvisory.package).in_(
                    key_list[start : start + BATCH]
                )
            )
        )
        for advisory_id, record in rows:
            if advisory_id not in seen:
                seen.add(advisory_id)
                index.add(Advisory.model_validate_json(record))
    return index
