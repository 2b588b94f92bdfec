"""Ed25519 keys for signed notes: generating, loading, naming and serialising them.

:func:`load_private_key` accepts PKCS#8 PEM, a raw 32-byte seed in base64, or a Go
``PRIVATE+KEY+name+id+base64`` note signer key; :func:`load_public_key` accepts
SubjectPublicKeyInfo PEM, raw 32-byte base64 or a Go ``name+id+base64`` verifier key
(golang.org/x/mod/sumdb/note). A key's ID in a note is
``SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]`` (0x01 = Ed25519); key names
must be non-empty and contain neither Unicode spaces nor ``+``.

Pure apart from :func:`generate_key` (which draws randomness); no files are touched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "ALG_ED25519",
    "CheckpointError",
    "as_text",
    "check_key_name",
    "decode_base64",
    "generate_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_named",
    "public_key_pem",
    "public_key_raw",
    "valid_key_name",
    "verifier_key",
]

ALG_ED25519 = 0x01
"""Signature type byte of Ed25519 in signed notes."""


class CheckpointError(ValueError):
    """A key, note or checkpoint is malformed, or its signature does not verify."""


def generate_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def public_key_raw(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The 32-byte RFC 8032 encoding of the public key."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, the format written to the data directory."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """SubjectPublicKeyInfo PEM of the public key."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def valid_key_name(name: str) -> bool:
    return (
        bool(name)
        and "+" not in name
        and not any(ch.isspace() or unicodedata.category(ch) == "Zs" for ch in name)
    )


def check_key_name(name: str) -> str:
    if not isinstance(name, str) or not valid_key_name(name):
        raise CheckpointError(
            f"invalid key name {name!r}: it must be non-empty without spaces or '+'"
        )
    return name


def key_id(name: str, public_key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """4-byte key ID: ``SHA-256(name || "\\n" || 0x01 || raw public key)[:4]``."""
    check_key_name(name)
    data = name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key_raw(public_key)
    return hashlib.sha256(data).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The Go note verifier key string ``name+<key id hex>+base64(0x01 || public key)``.

    Give this to auditors: with it any signed-note tool can check checkpoints.
    """
    raw = bytes([ALG_ED25519]) + public_key_raw(public_key)
    return f"{name}+{key_id(name, public_key).hex()}+{base64.b64encode(raw).decode()}"


def decode_base64(text: str, what: str) -> bytes:
    """Strict RFC 4648 standard base64: padded, no stray characters, canonical final bits."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not valid base64: {exc}") from exc
    if base64.b64encode(raw).decode() != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def as_text(data: str | bytes, what: str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError(f"{what} is not valid UTF-8") from exc
    return data


def load_private_key(data: str | bytes) -> Ed25519PrivateKey:
    """Load an Ed25519 signing key (e.g. from ``MAESTRO_LEDGER_KEY`` or the key file).

    Accepts PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``), a base64 raw 32-byte
    seed (or 64-byte seed || public key), or a Go note signer key
    ``PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`` (its key ID is checked).
    """
    text = as_text(data, "private key").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"cannot load PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointError(f"ledger key must be Ed25519, got {type(key).__name__}")
        return key
    if text.startswith("PRIVATE+KEY+"):
        parts = text.split("+", 4)
        if len(parts) != 5:
            raise CheckpointError("malformed note signer key (want PRIVATE+KEY+name+id+key)")
        _, _, name, hex_id, b64 = parts
        raw = decode_base64(b64, "note signer key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise CheckpointError("note signer key is not an Ed25519 key")
        key = Ed25519PrivateKey.from_private_bytes(raw[1:])
        if len(hex_id) != 8 or key_id(check_key_name(name), key).hex() != hex_id.lower():
            raise CheckpointError("note signer key ID does not match its name and key")
        return key
    raw = decode_base64(text, "private key")
    if len(raw) == 64:
        key = Ed25519PrivateKey.from_private_bytes(raw[:32])
        if public_key_raw(key) != raw[32:]:
            raise CheckpointError("64-byte private key: public half does not match the seed")
        return key
    if len(raw) != 32:
        raise CheckpointError(
            f"raw Ed25519 private key must be a 32-byte seed, got {len(raw)} bytes"
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


_VKEY_RE = re.compile(r"([^+\s]+)\+([0-9a-fA-F]{8})\+([A-Za-z0-9+/]+={0,2})")


def _is_verifier_key(text: str) -> bool:
    # A raw base64 key is exactly 44 characters; a verifier key is always longer.
    return len(text) != 44 and _VKEY_RE.fullmatch(text) is not None


def _parse_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    m = _VKEY_RE.fullmatch(text)
    if m is None:
        raise CheckpointError("malformed verifier key (want name+id+key)")
    name, hex_id, b64 = m.groups()
    check_key_name(name)
    raw = decode_base64(b64, "verifier key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise CheckpointError("verifier key is not an Ed25519 key")
    key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, key).hex() != hex_id.lower():
        raise CheckpointError("verifier key ID does not match its name and key")
    return name, key


def load_public_key(
    data: str | bytes | Ed25519PublicKey | Ed25519PrivateKey,
) -> Ed25519PublicKey:
    """Load an Ed25519 public key: SPKI PEM, base64 raw 32 bytes, or a note verifier key."""
    if isinstance(data, Ed25519PublicKey):
        return data
    if isinstance(data, Ed25519PrivateKey):
        return data.public_key()
    text = as_text(data, "public key").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"cannot load PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise CheckpointError(f"ledger key must be Ed25519, got {type(key).__name__}")
        return key
    if _is_verifier_key(text):
        return _parse_verifier_key(text)[1]
    raw = decode_base64(text, "public key")
    if len(raw) != 32:
        raise CheckpointError(f"raw Ed25519 public key must be 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_named(public_key: Ed25519PublicKey | str | bytes, name: str) -> Ed25519PublicKey:
    """:func:`load_public_key`, except that a note verifier key must carry ``name``."""
    if isinstance(public_key, str | bytes):
        key_text = as_text(public_key, "public key").strip()
        if _is_verifier_key(key_text):
            vk_name, key = _parse_verifier_key(key_text)
            if vk_name != name:
                raise CheckpointError(
                    f"verifier key is for {vk_name!r}, but the checkpoint must be signed "
                    f"by {name!r}"
                )
            return key
    return load_public_key(public_key)
