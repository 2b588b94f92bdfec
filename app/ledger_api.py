"""The auditor API routes (read-only ledger access behind bearer tokens)."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """Routes mounted by `app.main.create_app`."""
    return []
