"""`installation` and `installation_repositories` events keep the installations table current."""

from __future__ import annotations

from typing import Any

from gidgethub import routing, sansio

from app import state
from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from handlers.context import HandlerContext

router = routing.Router()


def _record(event: sansio.Event, kind: str, payload: dict[str, Any]) -> LedgerRecord:
    installation = event.data["installation"]
    return LedgerRecord(
        kind=kind,
        actor=(event.data.get("sender") or {}).get("login", "maestro"),
        installation_id=installation["id"],
        subject=f"installation:{installation['id']}",
        payload={"delivery": event.delivery_id, **payload},
    )


def _names(repositories: list[dict[str, Any]] | None) -> list[str]:
    return sorted(r["full_name"] for r in repositories or [])


@router.register("installation", action="created")
@router.register("installation", action="new_permissions_accepted")
async def installation_created(event: sansio.Event, ctx: HandlerContext) -> None:
    installation = event.data["installation"]
    repositories = event.data.get("repositories") or []
    async with ctx.sessions() as session, session.begin():
        await state.upsert_installation(session, installation)
        await state.add_repositories(session, installation["id"], repositories)
        await append(
            session,
            _record(
                event,
                f"installation.{event.data['action']}",
                {"account": installation["account"]["login"], "repositories": _names(repositories)},
            ),
        )


def _forget_token(ctx: HandlerContext, installation_id: int) -> None:
    """A deleted or suspended installation's token is revoked: never reuse the cached one."""
    if ctx.forget_token is not None:
        ctx.forget_token(installation_id)


@router.register("installation", action="deleted")
async def installation_deleted(event: sansio.Event, ctx: HandlerContext) -> None:
    installation = event.data["installation"]
    _forget_token(ctx, installation["id"])
    async with ctx.sessions() as session, session.begin():
        await state.delete_installation(session, installation["id"])
        await append(
            session,
            _record(event, "installation.deleted", {"account": installation["account"]["login"]}),
        )


@router.register("installation", action="suspend")
@router.register("installation", action="unsuspend")
async def installation_suspended(event: sansio.Event, ctx: HandlerContext) -> None:
    installation = event.data["installation"]
    suspended = event.data["action"] == "suspend"
    _forget_token(ctx, installation["id"])
    async with ctx.sessions() as session, session.begin():
        when = state.parse_time(installation.get("suspended_at")) or utcnow() if suspended else None
        await state.set_suspended(session, installation, when)
        await append(
            session,
            _record(
                event,
                f"installation.{event.data['action']}",
                {"account": installation["account"]["login"]},
            ),
        )


@router.register("installation_repositories", action="added")
@router.register("installation_repositories", action="removed")
async def repositories_changed(event: sansio.Event, ctx: HandlerContext) -> None:
    installation = event.data["installation"]
    added = event.data.get("repositories_added") or []
    removed = event.data.get("repositories_removed") or []
    async with ctx.sessions() as session, session.begin():
        await state.upsert_installation(session, installation)
        await state.add_repositories(session, installation["id"], added)
        await state.remove_repositories(session, installation["id"], removed)
        await append(
            session,
            _record(
                event,
                f"installation.repositories_{event.data['action']}",
                {"added": _names(added), "removed": _names(removed)},
            ),
        )
