"""`POST /webhook`: verify, store, acknowledge. Never waits for GitHub or for the handlers.

401 — missing or wrong `X-Hub-Signature-256` (HMAC-SHA256 over the raw body, compared in
constant time); 400 — missing GitHub headers or a body that is not a JSON object; 413 — body
over the limit; 200 — `ping`, or a delivery id stored before (a redelivery does nothing twice);
202 — stored, the inbox worker takes it from here.

Storing a delivery and recording it in the ledger (`delivery.received`: event, action and
delivery id, with the installation and repository in the entry header — never the body) commit in
one transaction: a delivery is in the inbox exactly when the ledger says it was received.
Concurrent requests share that transaction (`app.ingest`: group commit, one disk sync a group).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import inbox

log = logging.getLogger("maestro.webhook")

SIGNATURE_PREFIX = "sha256="


class BodyTooLarge(Exception):
    pass


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(SIGNATURE_PREFIX) :])


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub would send for `body`."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def receive_webhook(request: Request) -> Response:
    services = request.app.state.services
    settings = services.settings
    if not settings.webhook_secret:
        return _error(503, "webhook secret not configured: set MAESTRO_WEBHOOK_SECRET")
    try:
        body = await read_limited(request, settings.max_body_bytes)
    except BodyTooLarge:
        return _error(413, f"payload larger than {settings.max_body_bytes} bytes")
    if not signature_valid(
        settings.webhook_secret, body, request.headers.get("x-hub-signature-256")
    ):
        return _error(401, "missing or invalid X-Hub-Signature-256")
    event = request.headers.get("x-github-event")
    delivery_id = request.headers.get("x-github-delivery")
    if not event or not delivery_id:
        return _error(400, "missing X-GitHub-Event or X-GitHub-Delivery header")
    if len(delivery_id) > 64 or len(event) > 64:
        return _error(400, "X-GitHub-Event or X-GitHub-Delivery header too long")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, f"body is not valid JSON: {exc}")
    if not isinstance(data, dict):
        return _error(400, "body must be a JSON object")
    if event == "ping":
        return JSONResponse({"ok": True, "zen": data.get("zen"), "hook_id": data.get("hook_id")})

    action = data.get("action") if isinstance(data.get("action"), str) else None
    repository: dict[str, Any] = (
        data["repository"] if isinstance(data.get("repository"), dict) else {}
    )
    installation: dict[str, Any] = (
        data["installation"] if isinstance(data.get("installation"), dict) else {}
    )
    incoming = inbox.IncomingDelivery(
        id=delivery_id,
        event=event,
        action=action[:64] if action else None,
        installation_id=_int_or_none(installation.get("id")),
        repository=str(repository.get("full_name"))[:255] if repository.get("full_name") else None,
        body=body,
    )
    stored = await services.ingest.store(incoming)  # committed (group commit) before we answer
    if not stored:
        return JSONResponse({"ok": True, "duplicate": True, "delivery": delivery_id})
    services.wake_worker()
    return JSONResponse({"ok": True, "queued": True, "delivery": delivery_id}, status_code=202)
