"""Helpers shared by command modules: settings and database access with friendly errors.

A command that cannot use its settings or reach its database prints which setting is wrong and
how to fix it, then exits 2 — never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.settings import Settings, SettingsError, load_settings

_URL_EXAMPLES = "sqlite+aiosqlite:///./maestro.db or postgresql+asyncpg://user@host:5432/db"
DATABASE_FIX = (
    f"start the database server or set MAESTRO_DATABASE_URL to one this machine can reach "
    f"({_URL_EXAMPLES})"
)
# asyncpg errors raised while connecting (not by a statement): wrong database, role or password,
# a server that refuses connections.
_CONNECT_ERROR_NAMES = {
    "InvalidCatalogNameError",
    "InvalidAuthorizationSpecificationError",
    "InvalidPasswordError",
    "CannotConnectNowError",
    "TooManyConnectionsError",
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "ClientCannotConnectError",
    "PostgresConnectionError",
}


def settings_or_exit(**overrides: Any) -> Settings:
    """Load settings; on error print what is wrong and how to fix it, then exit 2."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print("maestro: invalid configuration:", file=sys.stderr)
        for line in str(exc).splitlines():
            print(f"  {line}", file=sys.stderr)
        raise SystemExit(2) from None


def safe_url(url: str) -> str:
    """The database URL with its password masked, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__


def _reason(exc: BaseException) -> str:
    """The innermost readable message: the driver's, not SQLAlchemy's wrapper text."""
    innermost = list(_causes(exc))[-1]
    text = str(innermost)
    if isinstance(innermost, OSError):
        text = innermost.strerror or text
        code = innermost.errno
        if code and code > 0 and not isinstance(innermost, socket.gaierror):
            name = os.strerror(code)
            text = text if name in text else f"{name}: {text}"
    text = text or type(innermost).__name__
    return text.splitlines()[0].strip()


def _fix_for(url: str, exc: BaseException) -> str:
    names = {type(e).__name__ for e in _causes(exc)}
    if "InvalidCatalogNameError" in names:
        return "create that database, or point MAESTRO_DATABASE_URL at an existing one"
    if names & {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
        return "correct the user or password in MAESTRO_DATABASE_URL"
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        return (
            f"create the directory {path.parent} or set MAESTRO_DATABASE_URL to a writable "
            f"location ({_URL_EXAMPLES})"
        )
    return DATABASE_FIX


def _is_missing_schema(exc: BaseException) -> bool:
    return any(
        type(e).__name__ == "UndefinedTableError" or "no such table" in str(e) for e in _causes(exc)
    )


def database_problem(url: str, exc: BaseException, *, connecting: bool = False) -> str | None:
    """A fix-it message when `exc` means the database cannot be used, else None (a real bug).

    `connecting` widens the net to any OSError: only the connection attempt was running.
    """
    from sqlalchemy import exc as sa_exc

    if _is_missing_schema(exc):
        return (
            f"MAESTRO_DATABASE_URL: the database at {safe_url(url)} has no Maestro tables "
            f"— {_reason(exc)}; fix: run `maestro db upgrade`"
        )
    chain = list(_causes(exc))
    unreachable = connecting and any(isinstance(e, OSError) for e in chain)
    unreachable = unreachable or any(
        isinstance(e, ConnectionError | socket.gaierror | TimeoutError | sqlite3.OperationalError)
        or type(e).__name__ in _CONNECT_ERROR_NAMES
        for e in chain
    )
    unreachable = unreachable or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    unreachable = unreachable or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)
    if not unreachable:
        return None
    reason, fix = _reason(exc), _fix_for(url, exc)
    return f"MAESTRO_DATABASE_URL: cannot connect to {safe_url(url)} — {reason}; fix: {fix}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL or an in-memory database)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


async def _probe_async(url: str) -> None:
    from sqlalchemy import text

    from app.db import create_engine

    engine = create_engine(url, connect_args={"timeout": 10})
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def probe_database(url: str) -> None:
    """Open and close one connection; raises what the driver raised.

    SQLite is opened with the standard library: a failed aiosqlite connect leaves its worker
    thread finishing after the command's event loop has closed, which prints a traceback.
    """
    path = sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(path, timeout=10)
        try:
            connection.execute("SELECT 1")
        finally:
            connection.close()
        return
    if url.startswith("sqlite"):
        return
    asyncio.run(_probe_async(url))


def exit_on_database_problem(url: str, exc: BaseException, *, connecting: bool = False) -> None:
    """Print the fix-it message and exit 2 if `exc` is a database problem; else return."""
    message = database_problem(url, exc, connecting=connecting)
    if message is None:
        return
    print(f"maestro: {message}", file=sys.stderr)
    raise SystemExit(2) from None


def database_settings_or_exit(**overrides: Any) -> Settings:
    """Settings for a command that uses the database, after checking the database answers."""
    settings = settings_or_exit(**overrides)
    try:
        probe_database(settings.database_url)
    except Exception as exc:
        exit_on_database_problem(settings.database_url, exc, connecting=True)
        raise
    return settings


@contextlib.contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a database that stops answering (or lacks its tables) into the fix-it message."""
    try:
        yield
    except Exception as exc:
        exit_on_database_problem(url, exc)
        raise
