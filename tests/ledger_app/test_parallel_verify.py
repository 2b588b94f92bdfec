"""Verifying a SQLite ledger in blocks, in worker processes or in this one: the same verdict as
the sequential pass, and really run.

Blocks are made 4 entries long (logs from 8 entries) so that small ledgers take the parallel
path. `maestro ledger verify --workers 2` must print exactly what `--workers 1` prints — for
an untouched ledger with checkpoints inside blocks, and after every tamper drill, where any
block that is not right sends the whole log through the sequential pass that names the first
bad entry. A spy records whether the blocks vouched for the log (once per run: `--workers 1`
verifies the blocks in this process).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ledger_app.drills import DRILLS, seed_and_tamper, steps
from ledger_app.helpers import Cli, Fill
from sqlalchemy import select

import app.ledger_blocks
import app.ledger_verify
from app.checkpoints import checkpoint_now
from app.db import create_engine, session_factory
from app.ledger_keys import signing_key
from app.ledger_verify import verify_database
from app.main import Services
from app.settings import Settings
from app.tables import LedgerNode


@pytest.fixture
def vouched(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Blocks of 4; the outcomes of the parallel pass (True: it verified the whole log)."""
    monkeypatch.setattr(app.ledger_blocks, "BLOCK", 4)
    monkeypatch.setattr(app.ledger_blocks, "PARALLEL_MIN", 8)
    outcomes: list[bool] = []
    real = app.ledger_verify.walk_in_blocks

    async def spy(*args: Any, **kwargs: Any) -> Any:
        walk = await real(*args, **kwargs)
        outcomes.append(walk is not None)
        return walk

    monkeypatch.setattr(app.ledger_verify, "walk_in_blocks", spy)
    return outcomes


async def _both(cli: Cli, *args: str) -> tuple[int, str]:
    """Run verify with 1 and with 2 workers; they must agree. Returns (exit code, output)."""
    one = await cli("ledger", "verify", *args, "--workers", "1", "--format", "json")
    two = await cli("ledger", "verify", *args, "--workers", "2", "--format", "json")
    assert one[:2] == two[:2]
    return one[0], one[1]


async def test_an_untouched_ledger_is_verified_by_the_workers(
    services: Services, fill: Fill, cli: Cli, vouched: list[bool], tmp_path: Any
) -> None:
    await fill(13)
    key = signing_key(services.settings)
    async with services.sessions() as session, session.begin():
        earlier, _ = await checkpoint_now(session, key)  # size 13: inside the fourth block
    (tmp_path / "earlier.note").write_text(earlier.note, encoding="utf-8")
    await fill(24)
    async with services.sessions() as session, session.begin():
        await checkpoint_now(session, key)
    code, out = await _both(cli, "--checkpoint", str(tmp_path / "earlier.note"))
    assert code == 0, out
    assert '"verified": 37' in out and '"ok": true' in out
    assert out.count('"root matches the entries"') == 2
    assert vouched == [True, True]  # in this process (--workers 1), then in two


async def test_a_log_smaller_than_two_blocks_is_left_to_one_process(
    fill: Fill, cli: Cli, vouched: list[bool]
) -> None:
    await fill(7)
    code, out = await _both(cli)
    assert code == 0, out
    assert vouched == [False, False]


@pytest.mark.parametrize("drill", list(DRILLS))
async def test_after_tampering_the_verdict_does_not_depend_on_the_workers(
    drill: str, db_url: str, settings: Settings, cli: Cli, vouched: list[bool]
) -> None:
    tamper, first_bad, _ = DRILLS[drill]
    await seed_and_tamper(db_url, settings, tamper)
    code, out = await _both(cli)
    assert code == 1, out
    assert f'"first_bad_seq": {first_bad}' in out
    # Only rows and nodes that are all intact may be vouched for by the blocks; a removed tail
    # is then found at the end of the log (by the checkpoint, or by the nodes it left behind).
    assert vouched == [drill.startswith("tail truncated")] * 2


async def test_a_stored_node_above_the_blocks_is_compared_too(
    db_url: str, settings: Settings, cli: Cli, vouched: list[bool]
) -> None:
    """Level 3 nodes join two blocks of 4: only the joining process computes them."""
    from ledger_app.drills import sql

    await seed_and_tamper(
        db_url, settings, sql("UPDATE ledger_nodes SET hash = :z WHERE level = 3", z=bytes(32))
    )
    code, out = await _both(cli)
    assert code == 1 and '"first_bad_seq": 0' in out and "tree node (3, 0)" in out, out
    assert vouched == [False, False]


async def test_an_untouched_seeded_ledger_is_vouched_for(
    db_url: str, settings: Settings, cli: Cli, vouched: list[bool], services: Services
) -> None:
    await seed_and_tamper(db_url, settings, steps())
    async with services.sessions() as session:
        levels = set((await session.execute(select(LedgerNode.level))).scalars())
    assert max(levels) >= 3  # nodes above the 4-entry blocks exist and were compared
    code, out = await _both(cli)
    assert code == 0, out
    assert vouched == [True, True]


async def test_workers_must_be_a_positive_number(cli: Cli) -> None:
    code, _, err = await cli("ledger", "verify", "--workers", "0")
    assert code == 2
    assert "expected a whole number of at least 1, got '0'" in err


async def test_a_database_file_with_uri_characters_in_its_path(
    db_url: str, settings: Settings, vouched: list[bool], tmp_path: Path
) -> None:
    """Workers open the file read-only by URI: a space or a `#` in its path must be escaped."""
    await seed_and_tamper(db_url, settings, steps())
    odd = tmp_path / "a dir #with odd chars" / "maestro.db"
    odd.parent.mkdir()
    shutil.copy(db_url.removeprefix("sqlite+aiosqlite:///"), odd)
    engine = create_engine(f"sqlite+aiosqlite:///{odd}")
    try:
        report = await verify_database(session_factory(engine), None, [], None, None, workers=2)
    finally:
        await engine.dispose()
    assert report.ok and report.verified == 20, report.message
    assert vouched == [True]
