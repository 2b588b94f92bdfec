"""Group commit for webhook deliveries: requests that arrive while a commit is in flight share
the next transaction, so a burst costs one disk sync instead of one per delivery.

Every request still waits until its own delivery (and its `delivery.received` ledger entry) is
committed before it is answered: durability is unchanged, only the syncs are shared. There is no
artificial wait: a lone request commits at once, and a batch is whatever queued up meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import inbox
from app.ledger_store import LedgerRecord, append

MAX_BATCH = 64  # deliveries per transaction; keeps one commit's write lock short


def received_record(incoming: inbox.IncomingDelivery) -> LedgerRecord:
    """The `delivery.received` ledger entry of a stored delivery (no part of the body)."""
    return LedgerRecord(
        kind="delivery.received",
        installation_id=incoming.installation_id,
        repository=incoming.repository,
        subject=f"delivery:{incoming.id}",
        payload={"event": incoming.event, "action": incoming.action, "delivery": incoming.id},
    )


async def store_batch(
    sessions: async_sessionmaker[AsyncSession], batch: list[inbox.IncomingDelivery]
) -> list[bool]:
    """Store each delivery and its ledger entry in one transaction; False for a delivery id
    stored before (a redelivery, also within the batch)."""
    results: list[bool] = []
    async with sessions() as session, session.begin():
        for incoming in batch:
            stored = await inbox.store(session, incoming)
            if stored:
                await append(session, received_record(incoming))
            results.append(stored)
    return results


class IngestBatcher:
    """Queues deliveries and commits them in groups; `store` answers once its group committed."""

    def __init__(
        self,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._sessions = sessions  # read at each commit: the app may swap its session factory
        self._max_batch = max_batch
        self._queue: list[tuple[inbox.IncomingDelivery, asyncio.Future[bool]]] = []
        self._committer: asyncio.Task[None] | None = None

    async def store(self, incoming: inbox.IncomingDelivery) -> bool:
        """True when stored now, False when this delivery id was stored before."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((incoming, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_all())
        return await future

    async def _commit_all(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            try:
                results = await store_batch(self._sessions(), [d for d, _ in batch])
            except Exception as exc:  # every request of the group gets the error (a 500)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), stored in zip(batch, results, strict=True):
                    if not future.done():  # a client that hung up has nobody to answer
                        future.set_result(stored)
