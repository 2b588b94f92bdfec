"""Settings errors name the variable and the fix; the CLI exits non-zero without a traceback;
`maestro deliveries` lists and re-queues stored deliveries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import inbox
from app.cli import main
from app.db import create_engine, session_factory
from app.settings import SettingsError, load_settings


def _run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAESTRO_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_invalid_settings_name_the_variable_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, app_id="twelve", database_url="mysql://db")
    message = str(error.value)
    assert "MAESTRO_APP_ID" in message and "numeric App ID" in message
    assert "MAESTRO_DATABASE_URL" in message and "postgresql+asyncpg://" in message


def test_bad_private_key_is_reported_by_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MAESTRO_PRIVATE_KEY: private key is not a PEM"):
        load_settings(_env_file=None, private_key="not a key")
    with pytest.raises(SettingsError, match="MAESTRO_PRIVATE_KEY_PATH: cannot read"):
        load_settings(_env_file=None, private_key_path=tmp_path / "missing.pem")


def test_private_key_path_and_escaped_newlines(tmp_path: Path, private_key_pem: str) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(private_key_pem)
    from_path = load_settings(_env_file=None, private_key_path=key_file)
    escaped = load_settings(_env_file=None, private_key=private_key_pem.replace("\n", "\\n"))
    assert from_path.private_key == escaped.private_key == private_key_pem


def test_serve_with_bad_settings_exits_2_without_traceback(tmp_path: Path) -> None:
    result = _run_cli("serve", env={"MAESTRO_APP_ID": "abc", "MAESTRO_PORT": "99999"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "MAESTRO_APP_ID" in result.stderr and "MAESTRO_PORT" in result.stderr


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MAESTRO_APP_ID=99\nMAESTRO_WEBHOOK_SECRET=abc\n")
    settings = load_settings(_env_file=tmp_path / ".env")
    assert settings.app_id == 99 and settings.webhook_secret == "abc"
    assert settings.missing_github_settings() == ["MAESTRO_PRIVATE_KEY"]


async def test_deliveries_list_and_retry(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await inbox.store(
            session,
            inbox.IncomingDelivery("abc-1", "pull_request", "opened", 1, "o/r", b"{}"),
        )
    async with sessions() as session, session.begin():
        row = await inbox.claim_next(sessions, "w", inbox.timedelta(seconds=60))
        assert row is not None
        await inbox.mark_failed_attempt(
            session, row, "boom", max_attempts=1, backoff_base=1, backoff_cap=1
        )
    await engine.dispose()
    monkeypatch.setenv("MAESTRO_DATABASE_URL", db_url)
    monkeypatch.chdir(db_url.rsplit("/", 1)[0].removeprefix("sqlite+aiosqlite:///"))

    def cli(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().out

    code, out = await _in_thread(cli, "deliveries", "--status", "failed")
    assert code == 0 and "abc-1" in out and "error: boom" in out
    code, out = await _in_thread(cli, "deliveries", "retry", "abc-1")
    assert code == 0 and "re-queued" in out
    code, out = await _in_thread(cli, "deliveries", "--status", "pending")
    assert "abc-1" in out and "attempts=0" in out
    code, out = await _in_thread(cli, "deliveries", "retry", "nope")
    assert code == 1


async def test_retry_refuses_a_delivery_under_a_live_lease_unless_forced(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await inbox.store(session, inbox.IncomingDelivery("busy-1", "push", None, 1, "o/r", b"{}"))
    claimed = await inbox.claim_next(sessions, "worker-a", inbox.timedelta(seconds=600))
    assert claimed is not None and claimed.id == "busy-1"
    monkeypatch.setenv("MAESTRO_DATABASE_URL", db_url)

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    code, out, err = await _in_thread(cli, "deliveries", "retry", "busy-1")
    assert code == 1 and "being processed by a worker" in err and "--force" in err
    async with sessions() as session:
        row = await session.get(inbox.Delivery, "busy-1")
        assert row is not None and (row.status, row.locked_by) == ("processing", "worker-a")
    code, out, err = await _in_thread(cli, "deliveries", "retry", "busy-1", "--force")
    assert code == 0 and "re-queued" in out
    async with sessions() as session:
        row = await session.get(inbox.Delivery, "busy-1")
        assert row is not None and (row.status, row.attempts, row.locked_by) == ("pending", 0, None)
    # The worker that lost the delivery cannot record an outcome for it any more.
    async with sessions() as session, session.begin():
        assert await inbox.mark_done(session, "busy-1", "worker-a") is False
    await engine.dispose()


async def _in_thread(func, *args):  # type: ignore[no-untyped-def]
    # The CLI runs its own event loop, so call it off the test's loop.
    import asyncio

    return await asyncio.to_thread(func, *args)
