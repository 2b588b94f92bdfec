"""The auditor API: read-only ledger access behind bearer tokens with scope `audit`.

    GET /ledger/checkpoint                              latest signed checkpoint
    GET /ledger/entries?start=&end=                     entries start <= seq < end, paginated
    GET /ledger/entries/{seq}                           one entry
    GET /ledger/proof/inclusion?seq=&tree_size=         RFC 6962 audit path
    GET /ledger/proof/consistency?first=&second=        RFC 6962 consistency proof
    GET /ledger/public-key                              the checkpoint verifier key

(`GET /ledger`, the auditors' HTML page, is in `app.ledger_page` and uses `audit_access`.)

JSON everywhere, hashes in lowercase hex. 401 (with `WWW-Authenticate: Bearer`) without a token
or with an unknown or revoked one, 403 with a token lacking `audit`, 400 for malformed or
out-of-range arguments (an entry beyond the log included), 503 when the stored ledger is damaged
(a row or tree node the answer needs is missing) — never a 500. Proofs come from stored tree nodes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app import auditors, checkpoints, ledger_queries
from app.ledger_keys import signing_key
from app.settings import Settings
from app.tables import LedgerCheckpoint

REALM = "maestro-ledger"
_UINT = re.compile(r"[0-9]{1,19}")
_MAX_INDEX = (1 << 63) - 1  # BIGINT


class BadRequest(Exception):
    """An argument is malformed or out of range; the message says which and why."""


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _unauthorized(message: str, code: str | None = None) -> JSONResponse:
    challenge = f'Bearer realm="{REALM}"'
    if code:
        challenge += f', error="{code}", error_description="{message}"'
    return _error(401, message, {"WWW-Authenticate": challenge})


class Access(Enum):
    """The outcome of checking an auditor token (shared by the API and the `GET /ledger` page)."""

    GRANTED = "granted"
    UNKNOWN = "unknown"  # unknown or revoked token
    NO_SCOPE = "no_scope"  # a valid token without the audit scope


async def audit_access(session: AsyncSession, token: str) -> Access:
    """Whether `token` belongs to an active auditor with the `audit` scope."""
    auditor = await auditors.authenticate(session, token)
    if auditor is None:
        return Access.UNKNOWN
    if auditors.AUDIT_SCOPE not in auditor.scopes:
        return Access.NO_SCOPE
    return Access.GRANTED


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header; "" when the header is malformed."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _authorize(request: Request, session: AsyncSession) -> Response | None:
    token = bearer_token(request)
    if token is None:
        return _unauthorized("an auditor token is required (Authorization: Bearer TOKEN)")
    if not token:
        return _unauthorized("use Authorization: Bearer TOKEN", "invalid_request")
    access = await audit_access(session, token)
    if access is Access.UNKNOWN:
        return _unauthorized("the token is unknown or revoked", "invalid_token")
    if access is Access.NO_SCOPE:
        challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="audit"'
        return _error(403, "the token lacks the audit scope", {"WWW-Authenticate": challenge})
    return None


Handler = Callable[[Request, AsyncSession, Settings], Awaitable[Response]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with a session, the token check and BadRequest → 400."""

    async def endpoint(request: Request) -> Response:
        services = request.app.state.services
        async with services.sessions() as session:
            denied = await _authorize(request, session)
            if denied is not None:
                return denied
            try:
                return await handler(request, session, services.settings)
            except BadRequest as exc:
                return _error(400, str(exc))
            except ledger_queries.TreeDamaged as exc:  # not the client's fault, nor a crash
                return _error(503, f"{exc}; run `maestro ledger verify`")

    endpoint.__name__ = handler.__name__
    return endpoint


def _uint(request: Request, name: str, default: int | None = None) -> int:
    values = request.query_params.getlist(name)
    if not values:
        if default is None:
            raise BadRequest(f"{name} is required")
        return default
    if len(values) > 1:
        raise BadRequest(f"{name} is given more than once")
    if not _UINT.fullmatch(values[0]) or int(values[0]) > _MAX_INDEX:
        raise BadRequest(f"{name} must be a non-negative integer, got {values[0][:40]!r}")
    return int(values[0])


def _checkpoint_json(row: LedgerCheckpoint, settings: Settings) -> dict[str, Any]:
    return {
        "origin": settings.ledger_origin,
        "size": row.size,
        "root_hash": row.root_hash,
        "created_at": checkpoints.created_at_utc(row).isoformat().replace("+00:00", "Z"),
        "checkpoint": row.note,
    }


async def get_checkpoint(request: Request, session: AsyncSession, settings: Settings) -> Response:
    services = request.app.state.services
    # End this session's transaction first: on SQLite it holds the write lock that signing needs.
    await session.rollback()
    row = await checkpoints.ensure_checkpoint(services.sessions, settings)
    if row is None:
        return _error(404, "the ledger is empty: there is no checkpoint yet")
    return JSONResponse(_checkpoint_json(row, settings))


async def list_entries(request: Request, session: AsyncSession, settings: Settings) -> Response:
    size = await ledger_queries.log_size(session)
    start = _uint(request, "start", 0)
    end = _uint(request, "end", size)
    if start > size:
        raise BadRequest(f"start {start} is beyond the log size {size}")
    if end < start:
        raise BadRequest(f"end {end} is before start {start}")
    end = min(end, size)
    stop = min(end, start + settings.audit_page_size_max)
    rows = await ledger_queries.entries_between(session, start, stop)
    next_url = None
    if stop < end:
        query = urlencode({"start": stop, "end": end})
        next_url = str(request.url.replace(query=query))
    return JSONResponse(
        {
            "tree_size": size,
            "start": start,
            "end": stop,
            "entries": [ledger_queries.entry_to_api(r) for r in rows],
            "next": next_url,
        },
        headers={"Link": f'<{next_url}>; rel="next"'} if next_url else None,
    )


async def one_entry(request: Request, session: AsyncSession, settings: Settings) -> Response:
    raw = request.path_params["seq"]
    if not _UINT.fullmatch(raw) or int(raw) > _MAX_INDEX:
        raise BadRequest(f"seq must be a non-negative integer, got {raw[:40]!r}")
    seq, size = int(raw), await ledger_queries.log_size(session)
    if seq >= size:
        last = f"0..{size - 1}" if size else "none yet"
        raise BadRequest(f"seq {seq} is beyond the log: it has {size} entries ({last})")
    row = await ledger_queries.get_entry(session, seq)
    if row is None:
        raise ledger_queries.TreeDamaged(f"entry {seq} of {size} is missing from the database")
    return JSONResponse(ledger_queries.entry_to_api(row))


async def inclusion_proof(request: Request, session: AsyncSession, settings: Settings) -> Response:
    size = await ledger_queries.log_size(session)
    seq = _uint(request, "seq")
    tree_size = _uint(request, "tree_size", size)
    if tree_size > size:
        raise BadRequest(f"tree_size {tree_size} is beyond the log size {size}")
    if seq >= tree_size:
        raise BadRequest(f"seq {seq} is not in a tree of size {tree_size}")
    leaf, path, root = await ledger_queries.inclusion(session, seq, tree_size)
    return JSONResponse(
        {
            "seq": seq,
            "tree_size": tree_size,
            "leaf_hash": leaf.hex(),
            "root_hash": root.hex(),
            "audit_path": [h.hex() for h in path],
        }
    )


async def consistency_proof(
    request: Request, session: AsyncSession, settings: Settings
) -> Response:
    size = await ledger_queries.log_size(session)
    first = _uint(request, "first")
    second = _uint(request, "second", size)
    if second > size:
        raise BadRequest(f"second {second} is beyond the log size {size}")
    if first == 0 or first > second:
        raise BadRequest(f"need 0 < first <= second, got first={first}, second={second}")
    proof, root1, root2 = await ledger_queries.consistency(session, first, second)
    return JSONResponse(
        {
            "first": first,
            "second": second,
            "first_root_hash": root1.hex(),
            "second_root_hash": root2.hex(),
            "consistency": [h.hex() for h in proof],
        }
    )


async def public_key(request: Request, session: AsyncSession, settings: Settings) -> Response:
    key = signing_key(settings)
    return JSONResponse(
        {
            "origin": key.origin,
            "key_name": key.origin,
            "key_id": key.key_id,
            "algorithm": "ed25519",
            "verifier_key": key.verifier_key,
            "public_key_pem": key.public_pem,
        }
    )


def routes() -> list[BaseRoute]:
    """Routes mounted by `app.main.create_app`."""
    return [
        Route("/ledger/checkpoint", _endpoint(get_checkpoint), methods=["GET"]),
        Route("/ledger/entries", _endpoint(list_entries), methods=["GET"]),
        Route("/ledger/entries/{seq}", _endpoint(one_entry), methods=["GET"]),
        Route("/ledger/proof/inclusion", _endpoint(inclusion_proof), methods=["GET"]),
        Route("/ledger/proof/consistency", _endpoint(consistency_proof), methods=["GET"]),
        Route("/ledger/public-key", _endpoint(public_key), methods=["GET"]),
    ]
