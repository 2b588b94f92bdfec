"""The ledger signing key: generated once into the data directory (0600), or configured."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest

from app.ledger_keys import (
    KEY_FILE_NAME,
    LedgerKeyError,
    _create_key_file,
    load_existing_key,
    load_or_create_key,
)
from app.settings import Settings, SettingsError, load_settings
from ledger.checkpoint import parse_and_verify_checkpoint, sign_checkpoint
from ledger.signing_keys import generate_key, private_key_pem, public_key_raw


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **values)  # type: ignore[call-arg]


def test_first_use_generates_a_private_key_file_then_reuses_it(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert load_existing_key(settings) is None
    first = load_or_create_key(settings)
    path = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.source == str(path)
    second = load_or_create_key(settings)
    assert public_key_raw(second.private) == public_key_raw(first.private)
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE_NAME]  # no temp files left


def test_a_concurrent_creator_wins_and_both_use_its_key(tmp_path: Path) -> None:
    path = tmp_path / "data" / KEY_FILE_NAME
    path.parent.mkdir()
    winner = generate_key()
    path.write_bytes(private_key_pem(winner))
    # Another process created the file after we looked: the link fails and we adopt its key.
    got = _create_key_file(path)
    assert public_key_raw(got) == public_key_raw(winner)


def test_configured_key_wins_and_signs_verifiable_checkpoints(tmp_path: Path) -> None:
    key = generate_key()
    pem_one_line = private_key_pem(key).decode().replace("\n", "\\n")
    settings = _settings(tmp_path, ledger_key=pem_one_line, ledger_origin="audit.example/log")
    loaded = load_or_create_key(settings)
    assert loaded.source == "MAESTRO_LEDGER_KEY"
    assert not (tmp_path / "data").exists()
    note = sign_checkpoint(loaded.origin, 3, bytes(32), loaded.private)
    checkpoint = parse_and_verify_checkpoint(note, "audit.example/log", loaded.verifier_key)
    assert checkpoint.size == 3
    seed = base64.b64encode(key.private_bytes_raw()).decode()
    assert public_key_raw(load_or_create_key(_settings(tmp_path, ledger_key=seed)).private) == (
        public_key_raw(key)
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAESTRO_LEDGER_KEY", "not a key"),
        ("MAESTRO_LEDGER_KEY", base64.b64encode(b"short").decode()),
        ("MAESTRO_LEDGER_ORIGIN", "has space"),
        ("MAESTRO_LEDGER_ORIGIN", "a+b"),
        ("MAESTRO_CHECKPOINT_EVERY_ENTRIES", "0"),
        ("MAESTRO_AUDIT_PAGE_SIZE_MAX", "0"),
    ],
)
def test_bad_ledger_settings_name_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert variable in str(info.value)
    assert value not in str(info.value) or variable.endswith("ORIGIN")  # keys are not echoed


def test_a_damaged_key_file_is_reported_with_its_path(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    path = tmp_path / "data" / KEY_FILE_NAME
    path.parent.mkdir()
    path.write_text("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")
    with pytest.raises(LedgerKeyError, match=str(path)):
        load_or_create_key(settings)
