"""Auditor bearer tokens: creation (shown once), revocation, listing and authentication.

Only the SHA-256 of a token is stored. A token is looked up by its hash (a lookup keyed on a
one-way hash leaks nothing useful through timing) and the stored hash is then compared with
`hmac.compare_digest`. Adding and revoking auditors are themselves ledger entries, in the same
transaction, so an auditor can see who else had access and when.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.inbox import utcnow
from app.ledger_store import LedgerRecord, append
from app.tables import AuditorToken

AUDIT_SCOPE = "audit"
KNOWN_SCOPES = frozenset({AUDIT_SCOPE})
TOKEN_PREFIX = "mae_audit_"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,200}")


class AuditorError(Exception):
    """An auditor command cannot be done; the message says why."""


@dataclass(frozen=True)
class Auditor:
    """An authenticated auditor."""

    name: str
    scopes: frozenset[str]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token: a recognisable prefix and 256 bits of randomness."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise AuditorError(
            f"invalid auditor name {name!r}: use letters, digits, '.', '_', '@' or '-' "
            "(at most 128 characters, starting with a letter or digit)"
        )
    return name


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - KNOWN_SCOPES)
    if unknown:
        raise AuditorError(
            f"unknown scope {', '.join(unknown)}: "
            f"known scopes are {', '.join(sorted(KNOWN_SCOPES))}"
        )
    return sorted(set(scopes))


async def add_auditor(
    session: AsyncSession, name: str, scopes: list[str], now: datetime | None = None
) -> str:
    """Create an auditor and return its token (the only time it exists in clear text).

    A revoked auditor's name can be reused; an active one's cannot.
    """
    check_name(name)
    scopes = check_scopes(scopes)
    now = now or utcnow()
    token = new_token()
    row = (
        await session.execute(select(AuditorToken).where(AuditorToken.name == name))
    ).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        raise AuditorError(f"auditor {name!r} already exists; revoke it first to issue a new token")
    if row is None:
        row = AuditorToken(name=name)
        session.add(row)
    row.token_sha256 = token_digest(token)
    row.scopes = " ".join(scopes)
    row.created_at = now
    row.revoked_at = None
    await append(
        session,
        LedgerRecord(kind="auditor.added", subject=f"auditor:{name}", payload={"scopes": scopes}),
        now=now,
    )
    return token


async def revoke_auditor(session: AsyncSession, name: str, now: datetime | None = None) -> bool:
    """Revoke an auditor's token; False when there is no active auditor of that name."""
    now = now or utcnow()
    row = (
        await session.execute(select(AuditorToken).where(AuditorToken.name == name))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    await append(
        session,
        LedgerRecord(kind="auditor.revoked", subject=f"auditor:{name}", payload={}),
        now=now,
    )
    return True


async def list_auditors(session: AsyncSession) -> list[AuditorToken]:
    query = select(AuditorToken).order_by(AuditorToken.name)
    return list((await session.execute(query)).scalars())


async def authenticate(session: AsyncSession, token: str) -> Auditor | None:
    """The active auditor holding `token`, or None."""
    if not _TOKEN_RE.fullmatch(token):
        return None
    digest = token_digest(token)
    row = (
        await session.execute(select(AuditorToken).where(AuditorToken.token_sha256 == digest))
    ).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.token_sha256, digest):
        return None
    if row.revoked_at is not None:
        return None
    return Auditor(row.name, frozenset(row.scopes.split()))
