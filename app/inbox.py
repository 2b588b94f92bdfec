"""The delivery inbox: store webhook deliveries durably, claim them for work, record outcomes.

Claiming is safe with several processes on one database: on PostgreSQL the candidate row is
selected `FOR UPDATE SKIP LOCKED`; on SQLite, transactions start with BEGIN IMMEDIATE (see
`app.db`), so claims are serialised. A claim is a lease: a worker that dies mid-delivery leaves
it `processing` with an expired `locked_until`, and any worker reclaims it. A worker renews its
lease while a handler runs, and records the outcome only if it still holds the lease, so a
delivery taken over by another worker is never finished twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.tables import Delivery

DeliveryStatus = Literal["pending", "processing", "done", "ignored", "failed"]
MAX_ERROR_CHARS = 4000


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; treat them as the UTC they were stored as."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IncomingDelivery:
    """What the webhook endpoint extracted from one request."""

    id: str
    event: str
    action: str | None
    installation_id: int | None
    repository: str | None
    body: bytes


async def store(
    session: AsyncSession, incoming: IncomingDelivery, *, not_before: datetime | None = None
) -> bool:
    """Insert the delivery; False when this delivery id was stored before (a redelivery).

    `not_before` schedules internal work (e.g. an evidence timeout) for later.
    """
    now = utcnow()
    values = {
        "id": incoming.id,
        "event": incoming.event,
        "action": incoming.action,
        "installation_id": incoming.installation_id,
        "repository": incoming.repository,
        "body": incoming.body,
        "status": "pending",
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": not_before or now,
    }
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(Delivery).values(**values).on_conflict_do_nothing(index_elements=["id"])
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_next(
    sessions: async_sessionmaker[AsyncSession], worker_id: str, lease: timedelta
) -> Delivery | None:
    """Claim the oldest due delivery (pending, or processing with an expired lease)."""
    now = utcnow()
    async with sessions() as session, session.begin():
        due = ((Delivery.status == "pending") & (Delivery.next_attempt_at <= now)) | (
            (Delivery.status == "processing") & (Delivery.locked_until < now)
        )
        query = select(Delivery).where(due).order_by(Delivery.next_attempt_at).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        delivery = (await session.execute(query)).scalar_one_or_none()
        if delivery is None:
            return None
        delivery.status = "processing"
        delivery.attempts += 1
        delivery.locked_by = worker_id
        delivery.locked_until = now + lease
        await session.flush()
        session.expunge(delivery)
        return delivery


async def next_due_at(sessions: async_sessionmaker[AsyncSession]) -> datetime | None:
    """When the earliest pending delivery becomes due (for the worker's sleep)."""
    async with sessions() as session:
        value = await session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(Delivery.status == "pending")
        )
        return as_utc(value) if value else None


def _held_by(delivery_id: str, worker_id: str | None) -> Any:
    """The row is still this worker's: processing, and locked by it."""
    return (
        (Delivery.id == delivery_id)
        & (Delivery.status == "processing")
        & (Delivery.locked_by == worker_id)
    )


async def renew_lease(
    sessions: async_sessionmaker[AsyncSession], delivery_id: str, worker_id: str, lease: timedelta
) -> bool:
    """Extend this worker's lease on a delivery it is processing; False when the lease was lost
    (it expired and another worker claimed the delivery, or it was re-queued with --force)."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(Delivery)
            .where(_held_by(delivery_id, worker_id))
            .values(locked_until=utcnow() + lease)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_done(
    session: AsyncSession, delivery_id: str, worker_id: str, status: str = "done"
) -> bool:
    """Finish a delivery: `done` when handled, `ignored` when no handler wanted it.

    Only the worker holding the lease may finish it; False (nothing written) when it was lost.
    """
    result = await session.execute(
        update(Delivery)
        .where(_held_by(delivery_id, worker_id))
        .values(status=status, finished_at=utcnow(), locked_until=None, last_error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff_delay(attempts: int, base: float, cap: float) -> timedelta:
    """Exponential backoff: base · 2^(attempts−1), capped."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


async def mark_failed_attempt(
    session: AsyncSession,
    delivery: Delivery,
    error: str,
    *,
    max_attempts: int,
    backoff_base: float,
    backoff_cap: float,
) -> DeliveryStatus | None:
    """Record a failed attempt: back to pending with backoff, or parked as failed.

    `delivery` is the row as claimed; only its claimer (`delivery.locked_by`) may record the
    attempt. None (nothing written) when that lease was lost.
    """
    error = error[:MAX_ERROR_CHARS]
    if delivery.attempts >= max_attempts:
        status: DeliveryStatus = "failed"
        values = {"status": status, "finished_at": utcnow(), "locked_until": None}
    else:
        status = "pending"
        delay = backoff_delay(delivery.attempts, backoff_base, backoff_cap)
        values = {"status": status, "next_attempt_at": utcnow() + delay, "locked_until": None}
    result = await session.execute(
        update(Delivery)
        .where(_held_by(delivery.id, delivery.locked_by))
        .values(last_error=error, **values)
    )
    return status if result.rowcount else None  # type: ignore[attr-defined]


RetryOutcome = Literal["requeued", "busy", "unknown"]


async def retry(session: AsyncSession, delivery_id: str, *, force: bool = False) -> RetryOutcome:
    """Re-queue a delivery now with fresh attempts.

    A delivery a worker is processing under a live lease is left alone (`busy`) unless `force`;
    a forced re-queue takes the lease away, so that worker's outcome is discarded.
    """
    now = utcnow()
    leased = (
        (Delivery.status == "processing")
        & Delivery.locked_until.is_not(None)
        & (Delivery.locked_until > now)
    )
    statement = update(Delivery).where(Delivery.id == delivery_id)
    if not force:
        statement = statement.where(~leased)
    result = await session.execute(
        statement.values(
            status="pending", next_attempt_at=now, attempts=0, locked_until=None, locked_by=None
        )
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return "requeued"
    exists = await session.scalar(select(Delivery.id).where(Delivery.id == delivery_id))
    return "busy" if exists is not None else "unknown"


async def list_deliveries(
    session: AsyncSession, status: str | None = None, limit: int = 50
) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.received_at.desc()).limit(limit)
    if status:
        query = query.where(Delivery.status == status)
    return list((await session.execute(query)).scalars())
