"""No secret or personal data reaches the ledger or the logs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from support.servers import bound_socket

from app.cli import main as cli_main
from app.ledger_store import LedgerRecord, append
from app.logging_setup import FORMAT, ScrubbingFilter, ScrubbingFormatter, uvicorn_log_config
from app.main import Services

TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


async def test_ledger_payload_is_scrubbed_before_hashing(services: Services) -> None:
    async with services.sessions() as session, session.begin():
        row = await append(
            session,
            LedgerRecord(
                kind="delivery.failed",
                payload={"error": f"GitHub rejected token {TOKEN}", "head_sha": "a" * 40},
            ),
        )
    assert TOKEN not in (row.payload or "")
    assert "ghp_" in (row.payload or "") and "a" * 40 in (row.payload or "")


def test_log_records_are_scrubbed() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    logger = logging.getLogger("maestro.test-scrub")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("auth failed with %s for jane.doe@gmail.com, card 4539 1488 0343 6467", TOKEN)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert TOKEN not in text
    assert "jane.doe@gmail.com" not in text and "4539 1488 0343 6467" not in text
    assert text.startswith("auth failed with ghp_")


EMAIL = "jane.doe@" + "gmail.com"


def test_exception_tracebacks_are_scrubbed_by_the_formatter() -> None:
    """logging adds the traceback after the filters ran: the formatter must scrub it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(ScrubbingFormatter(FORMAT))
    logger = logging.getLogger("maestro.test-scrub-traceback")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"GitHub rejected {TOKEN} for {EMAIL}")
        except ValueError:
            logger.exception("delivery failed")
        logger.warning("where", stack_info=True, extra={})
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text and "ValueError: GitHub rejected" in text
    assert TOKEN not in text and EMAIL not in text
    assert "ghp_" in text  # the mask keeps the provider prefix


@contextlib.asynccontextmanager
async def _uvicorn(app: Starlette) -> AsyncIterator[str]:
    """`app` under real uvicorn with the log config `maestro serve` passes to uvicorn.run."""
    sock = bound_socket()
    config = uvicorn.Config(app, log_config=uvicorn_log_config(), log_level="info", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).handlers.clear()  # they hold capsys's streams


async def test_uvicorn_access_lines_and_server_tracebacks_are_scrubbed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def ok(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def boom(_request: Request) -> PlainTextResponse:
        raise RuntimeError(f"upstream refused token {TOKEN}")

    app = Starlette(routes=[Route("/ok", ok), Route("/boom", boom)])
    async with _uvicorn(app) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get(f"/ok?token={TOKEN}&email={EMAIL}")).status_code == 200
        assert (await client.get("/boom")).status_code == 500
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert '"GET /ok?token=ghp_' in text  # the access line is there, with its query string
    assert "RuntimeError: upstream refused token ghp_" in text  # and the traceback
    assert TOKEN not in text and EMAIL not in text and EMAIL.replace("@", "%40") not in text


def test_maestro_serve_hands_uvicorn_the_scrubbing_log_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    # Not reconfigured here: the root handlers belong to pytest for the rest of the session.
    monkeypatch.setattr("app.commands.serve.configure_logging", lambda level: None)
    monkeypatch.setenv("MAESTRO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    monkeypatch.chdir(tmp_path)
    assert cli_main(["serve", "--no-worker"]) == 0
    formatters = seen["log_config"]["formatters"]
    assert formatters["access"]["()"] == "app.logging_setup.ScrubbingAccessFormatter"
    assert formatters["default"]["()"] == "app.logging_setup.ScrubbingDefaultFormatter"
