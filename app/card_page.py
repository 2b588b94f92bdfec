"""`GET /cards/{owner}/{repo}/{sha}`: the whole Proof Card on Maestro's own page.

A check-run summary holds at most 65,535 characters; a longer card is cut there and links here,
and every card's check-run points here as its details URL.

Access (the card lists the repository's findings, masked): a card on a repository GitHub
reported as **public** is open to anyone, like the check-run itself. Any other card — private,
or privacy unknown — needs an auditor token with the `audit` scope (`maestro auditors add NAME`):
`Authorization: Bearer TOKEN`, or HTTP Basic with the token as the password, so a browser asks
for it. Without one the answer is 401 whether or not the card exists, so nothing leaks.

`?format=json` answers the stored card JSON byte for byte: its SHA-256 is the `card_sha256`
the ledger's `checkrun.*` entry recorded.
"""

from __future__ import annotations

import base64
import binascii
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from app import auditors
from app.render import render_card_page
from app.tables import ProofCardRecord
from checks.proofcard import ProofCard

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
REALM = "maestro-cards"


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


async def _is_auditor(request: Request, session: AsyncSession) -> bool:
    token = _token(request)
    if token is None:
        return False
    auditor = await auditors.authenticate(session, token)
    return auditor is not None and auditors.AUDIT_SCOPE in auditor.scopes


def _denied() -> Response:
    return PlainTextResponse(
        "This Proof Card is not public: sign in with a Maestro auditor token "
        "(any user name, the token as password) or send Authorization: Bearer TOKEN.\n",
        status_code=401,
        headers={
            "WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"',
            "Cache-Control": "no-store",
        },
    )


async def card_page(request: Request) -> Response:
    owner = request.path_params["owner"]
    repo = request.path_params["repo"]
    sha = request.path_params["sha"].lower()
    if not (_NAME.fullmatch(owner) and _NAME.fullmatch(repo) and _SHA.fullmatch(sha)):
        return PlainTextResponse("Not found\n", status_code=404)
    services = request.app.state.services
    async with services.sessions() as session:
        row = (
            await session.execute(
                select(ProofCardRecord)
                .where(
                    ProofCardRecord.repository == f"{owner}/{repo}",
                    ProofCardRecord.head_sha == sha,
                )
                .order_by(ProofCardRecord.updated_at.desc(), ProofCardRecord.check_run_id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        public = row is not None and not row.private
        if not public and not await _is_auditor(request, session):
            return _denied()
    if row is None:
        return PlainTextResponse("No Proof Card for this commit\n", status_code=404)
    headers = {"Cache-Control": "no-store" if row.private else "no-cache"}
    if request.query_params.get("format") == "json":
        return Response(row.card, media_type="application/json", headers=headers)
    card = ProofCard.model_validate_json(row.card)
    body = render_card_page(
        card,
        status=row.status,
        updated=row.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
        json_url=f"{request.url.path}?format=json",
    )
    return HTMLResponse(body, headers=headers)


def routes() -> list[Route]:
    return [Route("/cards/{owner}/{repo}/{sha}", card_page, methods=["GET"])]
