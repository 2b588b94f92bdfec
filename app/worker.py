"""The inbox worker: claims stored deliveries, dispatches them to handlers, records the outcome.

A handler crash never drops a delivery: the attempt is recorded with its error, the delivery goes
back to the queue with exponential backoff, and after `worker_max_attempts` it is parked as
`failed` (visible in `maestro deliveries --status failed`, re-queued by `maestro deliveries retry`).
Every outcome is appended to the ledger in the same transaction as the status change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import traceback
from collections.abc import Awaitable, Callable
from datetime import timedelta

from gidgethub import routing, sansio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import inbox
from app.checkpoints import checkpoint_after_delivery
from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from app.settings import Settings
from app.tables import Delivery
from handlers.context import HandlerContext, MissingInstallation
from handlers.port import GitHubPort

log = logging.getLogger("maestro.worker")


def _subject(delivery: Delivery) -> str:
    return f"delivery:{delivery.id}"


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _report_lost_lease(delivery_id: str) -> None:
    log.warning(
        "lost the lease on delivery %s (it outlived MAESTRO_WORKER_LEASE_SECONDS and another "
        "worker claimed it, or it was re-queued with --force); this worker's outcome is discarded",
        delivery_id,
    )


class InboxWorker:
    """Drains the inbox; `run()` loops until `stop()`, `run_once()` handles one delivery."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        router: routing.Router,
        github_for: Callable[[int], Awaitable[GitHubPort]],
        worker_id: str | None = None,
        *,
        forget_token: Callable[[int], None] | None = None,
        sleeper: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.router = router
        self.github_for = github_for
        self.forget_token = forget_token
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._sleep = sleeper  # the lease renewal's wait (tests pass a fake clock)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Called by the webhook endpoint after storing a delivery."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        log.info("inbox worker %s started", self.worker_id)
        while not self._stopping.is_set():
            try:
                worked = await self.run_once()
            except Exception:  # the loop must survive a database hiccup
                log.exception("inbox worker iteration failed")
                worked = False
            if not worked:
                await self._idle()
        log.info("inbox worker %s stopped", self.worker_id)

    async def _idle(self) -> None:
        # Clear before looking, so a wake-up (or stop) during the query is not lost.
        self._wake.clear()
        timeout = self.settings.worker_poll_seconds
        due = await inbox.next_due_at(self.sessions)
        if due is not None:
            timeout = min(timeout, max(0.0, (due - utcnow()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    async def run_once(self) -> bool:
        """Claim and process one due delivery; False when none is due."""
        lease = timedelta(seconds=self.settings.worker_lease_seconds)
        delivery = await inbox.claim_next(self.sessions, self.worker_id, lease)
        if delivery is None:
            return False
        await self.process(delivery)
        await checkpoint_after_delivery(self.sessions, self.settings)
        return True

    async def process(self, delivery: Delivery) -> None:
        ctx = HandlerContext(
            sessions=self.sessions,
            settings=self.settings,
            delivery_id=delivery.id,
            github_for=self.github_for,
            attempt=delivery.attempts,
            max_attempts=self.settings.worker_max_attempts,
            forget_token=self.forget_token,
        )
        error: str | None = None
        permanent = False
        handled = True
        renewal = asyncio.create_task(self._keep_lease(delivery.id))
        try:
            data = json.loads(delivery.body)
            event = sansio.Event(data, event=delivery.event, delivery_id=delivery.id)
            if self.router.fetch(event):
                await self.router.dispatch(event, ctx)
            else:
                handled = False
        except MissingInstallation as exc:
            # Retrying cannot help: park it at once with the reason.
            error, permanent = str(exc), True
        except Exception as exc:
            log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.event, exc)
            error = _error_text(exc)
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
        if error is not None:
            await self._fail(delivery, error, permanent=permanent)
        elif not handled:
            await self._finish(delivery, "ignored", ["no handler for this event"])
        else:
            await self._finish(delivery, "processed", ctx.outcomes)

    async def _keep_lease(self, delivery_id: str) -> None:
        """Renew the lease every third of its length while the handler runs."""
        seconds = self.settings.worker_lease_seconds
        while True:
            await self._sleep(seconds / 3)
            try:
                held = await inbox.renew_lease(
                    self.sessions, delivery_id, self.worker_id, timedelta(seconds=seconds)
                )
            except Exception:  # a database hiccup: try again at the next tick
                log.exception("could not renew the lease on delivery %s", delivery_id)
                continue
            if not held:
                _report_lost_lease(delivery_id)
                return

    async def _finish(self, delivery: Delivery, outcome: str, notes: list[str]) -> None:
        async with self.sessions() as session, session.begin():
            status = "ignored" if outcome == "ignored" else "done"
            if not await inbox.mark_done(session, delivery.id, self.worker_id, status):
                _report_lost_lease(delivery.id)
                return
            await append(
                session,
                LedgerRecord(
                    kind=f"delivery.{outcome}",
                    installation_id=delivery.installation_id,
                    repository=delivery.repository,
                    subject=_subject(delivery),
                    payload={
                        "event": delivery.event,
                        "action": delivery.action,
                        "attempts": delivery.attempts,
                        "notes": notes,
                    },
                ),
            )

    async def _fail(self, delivery: Delivery, error: str, *, permanent: bool = False) -> None:
        async with self.sessions() as session, session.begin():
            status = await inbox.mark_failed_attempt(
                session,
                delivery,
                error,
                max_attempts=1 if permanent else self.settings.worker_max_attempts,
                backoff_base=self.settings.worker_backoff_base_seconds,
                backoff_cap=self.settings.worker_backoff_max_seconds,
            )
            if status is None:
                _report_lost_lease(delivery.id)
            elif status == "failed":
                await append(
                    session,
                    LedgerRecord(
                        kind="delivery.failed",
                        installation_id=delivery.installation_id,
                        repository=delivery.repository,
                        subject=_subject(delivery),
                        payload={
                            "event": delivery.event,
                            "action": delivery.action,
                            "attempts": delivery.attempts,
                            "error": error,
                        },
                    ),
                )
