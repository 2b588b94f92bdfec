"""The ledger's Ed25519 signing key: from MAESTRO_LEDGER_KEY, else `<data_dir>/ledger-ed25519.pem`.

On first start (no configured key, no key file) a key is generated and written with mode 0600;
every later start, and every other process sharing the data directory, reuses it. The file is
written to a temporary name and hard-linked into place, so two processes starting together never
see a half-written key and agree on one winner.

The private key never leaves this module except to sign; auditors get `LedgerKey.verifier_key`
(the signed-note `name+id+key` string) or `public_pem`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.settings import Settings
from ledger.checkpoint import CheckpointError
from ledger.signing_keys import (
    generate_key,
    key_id,
    load_private_key,
    private_key_pem,
    public_key_pem,
    verifier_key,
)

KEY_FILE_NAME = "ledger-ed25519.pem"

log = logging.getLogger("maestro.ledger")


class LedgerKeyError(Exception):
    """The signing key cannot be loaded or created; the message says where and why."""


@dataclass(frozen=True)
class LedgerKey:
    """The signing key plus the log's origin (which is also the signed-note key name)."""

    private: Ed25519PrivateKey
    origin: str
    source: str
    """Where the key came from: MAESTRO_LEDGER_KEY or the key file's path."""

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_pem(self) -> str:
        return public_key_pem(self.private).decode()

    @property
    def key_id(self) -> str:
        return key_id(self.origin, self.private).hex()

    @property
    def verifier_key(self) -> str:
        return verifier_key(self.origin, self.private)


def key_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / KEY_FILE_NAME


def _read_key_file(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerKeyError(f"cannot read the ledger key {path}: {exc.strerror}") from None
    try:
        return load_private_key(data)
    except CheckpointError as exc:
        raise LedgerKeyError(
            f"{path} is not a usable Ed25519 key ({exc}); restore it from a backup — "
            "deleting it makes every earlier checkpoint unverifiable with the new key"
        ) from None


def _create_key_file(path: Path) -> Ed25519PrivateKey:
    """Write a new key to `path` unless another process got there first; return the winner."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerKeyError(
            f"cannot create the data directory {path.parent}: {exc.strerror}"
        ) from None
    key = generate_key()
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_pem(key))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if another process already created it
        except FileExistsError:
            return _read_key_file(path)
    except OSError as exc:
        raise LedgerKeyError(f"cannot write the ledger key {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    log.info("generated a new ledger signing key at %s", path)
    return key


def load_existing_key(settings: Settings) -> LedgerKey | None:
    """The configured or stored key, or None when there is none yet (never creates one)."""
    if settings.ledger_key:
        try:
            private = load_private_key(settings.ledger_key)
        except CheckpointError as exc:  # settings validate this already; kept for overrides
            raise LedgerKeyError(f"MAESTRO_LEDGER_KEY: {exc}") from None
        return LedgerKey(private, settings.ledger_origin, "MAESTRO_LEDGER_KEY")
    path = key_path(settings)
    if not path.exists():
        return None
    return LedgerKey(_read_key_file(path), settings.ledger_origin, str(path))


def load_or_create_key(settings: Settings) -> LedgerKey:
    """The signing key, generating `<data_dir>/ledger-ed25519.pem` (0600) on first use."""
    existing = load_existing_key(settings)
    if existing is not None:
        return existing
    path = key_path(settings)
    return LedgerKey(_create_key_file(path), settings.ledger_origin, str(path))


_cache: dict[tuple[str | None, str, str], LedgerKey] = {}


def signing_key(settings: Settings) -> LedgerKey:
    """`load_or_create_key`, cached per (key, data_dir, origin) for the life of the process."""
    cache_key = (
        settings.ledger_key,
        str(Path(settings.data_dir).resolve()),
        settings.ledger_origin,
    )
    key = _cache.get(cache_key)
    if key is None:
        key = _cache[cache_key] = load_or_create_key(settings)
    return key
