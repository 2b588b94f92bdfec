"""Signed checkpoints (signed tree heads) in the transparency-dev / C2SP format.

A checkpoint is a *signed note* (golang.org/x/mod/sumdb/note, c2sp.org/signed-note)
whose text is a tlog checkpoint body (transparency-dev/formats ``log``,
c2sp.org/tlog-checkpoint)::

    <origin>\\n
    <tree size, decimal, no leading zeros>\\n
    <base64 (RFC 4648 std, padded) of the 32-byte RFC 6962 root hash>\\n
    [<extension line>\\n ...]
    \\n
    — <key name> <base64(key ID (4 bytes) || Ed25519 signature (64 bytes))>\\n

* The signature covers the note text: every body line including its final
  newline, not the blank separator line.
* ``—`` is U+2014 EM DASH followed by one space.
* The key ID is ``SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``
  (0x01 = the Ed25519 signature type).
* The key name defaults to the origin (C2SP: it SHOULD match); names must be
  non-empty and contain neither Unicode spaces nor ``+``.
* Verifiers ignore signatures by other keys (witness cosignatures, rotated
  keys) and reject the note if a signature by the expected key is invalid or
  missing.

Keys are Ed25519 (``cryptography``); loading, naming and serialising them is
:mod:`ledger.signing_keys`' job.

Pure: no files, clocks or randomness.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.signing_keys import (
    CheckpointError,
    as_text,
    check_key_name,
    decode_base64,
    key_id,
    public_key_named,
    valid_key_name,
)

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "checkpoint_body",
    "open_note",
    "parse_and_verify_checkpoint",
    "should_checkpoint",
    "sign_checkpoint",
    "sign_note",
]

_SIG_PREFIX = "— "  # U+2014 EM DASH, space
_MAX_NOTE_BYTES = 1 << 16
_MAX_SIGNATURES = 100
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIZE = (1 << 64) - 1


# --------------------------------------------------------------------------------------
# Signed notes
# --------------------------------------------------------------------------------------


def _check_note_chars(text: str, what: str) -> None:
    for ch in text:
        if ch < " " and ch != "\n":
            raise CheckpointError(f"{what} contains the control character {ch!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CheckpointError(f"{what} is not valid UTF-8") from exc


def sign_note(text: str, key: Ed25519PrivateKey, name: str) -> str:
    """Sign ``text`` (which must end in a newline) as a signed note with one signature."""
    check_key_name(name)
    if not text.endswith("\n"):
        raise CheckpointError("note text must end with a newline")
    _check_note_chars(text, "note text")
    signature = key.sign(text.encode("utf-8"))
    blob = base64.b64encode(key_id(name, key) + signature).decode()
    return f"{text}\n{_SIG_PREFIX}{name} {blob}\n"


def open_note(message: str | bytes, name: str, public_key: Ed25519PublicKey) -> str:
    """Verify a signed note against one known key and return its text.

    Follows ``note.Open``: the message must be UTF-8 without control
    characters other than newline; text and signatures are split at the
    last blank line; signatures by other keys are ignored; a bad signature by
    the known key, or no signature by it, is an error.
    """
    check_key_name(name)
    if len(message) > _MAX_NOTE_BYTES:
        raise CheckpointError(f"signed note is larger than {_MAX_NOTE_BYTES} bytes")
    msg = as_text(message, "signed note")
    _check_note_chars(msg, "signed note")
    split = msg.rfind("\n\n")
    if split < 0:
        raise CheckpointError("malformed signed note: no blank line before the signatures")
    text, sigs = msg[: split + 1], msg[split + 2 :]
    if not sigs or not sigs.endswith("\n"):
        raise CheckpointError("malformed signed note: signature block must end with a newline")
    want_id = key_id(name, public_key)
    lines = sigs[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise CheckpointError(f"signed note has more than {_MAX_SIGNATURES} signatures")
    verified = False
    other_ids: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError(
                f"malformed signature line {number}: must start with an em dash and a space"
            )
        sig_name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not valid_key_name(sig_name) or not b64:
            raise CheckpointError(f"malformed signature line {number}")
        blob = decode_base64(b64, f"signature line {number}")
        if len(blob) < 5:
            raise CheckpointError(f"signature line {number} is too short")
        if sig_name != name:
            continue
        if blob[:4] != want_id:
            other_ids.append(blob[:4].hex())
            continue
        try:
            public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise CheckpointError(
                f"invalid signature by key {name}+{want_id.hex()}: the note was altered "
                "or signed by another key"
            ) from None
        verified = True
    if not verified:
        if other_ids:
            raise CheckpointError(
                f"note is signed as {name!r} but by a different key (key id "
                f"{', '.join(other_ids)}, expected {want_id.hex()}): wrong public key?"
            )
        raise CheckpointError(f"note has no signature by key {name}+{want_id.hex()}")
    return text


# --------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A verified checkpoint: the log's origin, tree size and RFC 6962 root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = field(default=())

    @property
    def root_hex(self) -> str:
        return self.root_hash.hex()

    def body(self) -> str:
        return checkpoint_body(self.origin, self.size, self.root_hash, self.extensions)


def checkpoint_body(
    origin: str, size: int, root_hash: bytes, extensions: tuple[str, ...] | list[str] = ()
) -> str:
    """The checkpoint note text (what is signed)."""
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise CheckpointError("origin must be a non-empty single line")
    _check_note_chars(origin, "origin")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _MAX_SIZE:
        raise CheckpointError(f"tree size must be an integer in [0, 2**64), got {size!r}")
    if not isinstance(root_hash, bytes) or len(root_hash) != 32:
        raise CheckpointError("root hash must be 32 bytes")
    for ext in extensions:
        if not ext or "\n" in ext:
            raise CheckpointError("extension lines must be non-empty single lines")
        _check_note_chars(ext, "extension line")
    lines = [origin, str(size), base64.b64encode(root_hash).decode(), *extensions]
    return "".join(line + "\n" for line in lines)


def sign_checkpoint(
    origin: str,
    size: int,
    root: bytes,
    key: Ed25519PrivateKey,
    *,
    name: str | None = None,
    extensions: tuple[str, ...] | list[str] = (),
) -> str:
    """Sign a checkpoint for ``(origin, size, root)``; returns the signed note text.

    ``name`` is the signing key's name, by default the origin.
    """
    body = checkpoint_body(origin, size, root, extensions)
    return sign_note(body, key, origin if name is None else name)


def parse_and_verify_checkpoint(
    text: str | bytes,
    origin: str,
    public_key: Ed25519PublicKey | str | bytes,
    *,
    name: str | None = None,
) -> Checkpoint:
    """Verify the signature on a checkpoint, then parse it.

    ``public_key`` may be a key object, PEM, base64 raw key or a note
    verifier key (whose name must then match ``name``, by default ``origin``).
    Raises :class:`CheckpointError` naming the problem: bad signature, wrong
    key, wrong origin, malformed size or root hash.
    """
    key_name = origin if name is None else name
    body = open_note(text, key_name, public_key_named(public_key, key_name))
    lines = body.split("\n")[:-1]  # body ends with "\n"
    if len(lines) < 3:
        raise CheckpointError("checkpoint body needs origin, size and root hash lines")
    got_origin, size_text, root_text, *extensions = lines
    if got_origin != origin:
        raise CheckpointError(f"checkpoint origin is {got_origin!r}, expected {origin!r}")
    if _SIZE_RE.fullmatch(size_text) is None or int(size_text) > _MAX_SIZE:
        raise CheckpointError(f"checkpoint tree size {size_text!r} is not a decimal integer")
    root_hash = decode_base64(root_text, "checkpoint root hash")
    if len(root_hash) != 32:
        raise CheckpointError("checkpoint root hash is not the base64 of 32 bytes")
    if any(not ext for ext in extensions):
        raise CheckpointError("checkpoint extension lines must not be empty")
    return Checkpoint(got_origin, int(size_text), root_hash, tuple(extensions))


# --------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------


def should_checkpoint(
    last_size: int | None,
    last_time: datetime | None,
    size: int,
    now: datetime,
    every_seconds: float | None,
    every_entries: int | None,
) -> bool:
    """Whether to sign a new checkpoint now (pure policy).

    * No checkpoint yet (``last_size is None``): yes, even for an empty log,
      so auditors always have a signed head.
    * The log has not grown since the last checkpoint: no (never re-sign).
    * Otherwise yes once ``every_entries`` new entries accumulated, or
      ``every_seconds`` have passed since the last checkpoint -- whichever
      comes first.  A ``None`` trigger is disabled; with both disabled every
      growth is checkpointed.
    * A log smaller than its last checkpoint is a bug: ``ValueError``.
    """
    if last_size is None:
        return True
    if size < last_size:
        raise ValueError(f"log size {size} is below the last checkpoint's size {last_size}")
    if size == last_size:
        return False
    if every_seconds is None and every_entries is None:
        return True
    if every_entries is not None and size - last_size >= every_entries:
        return True
    if every_seconds is not None:
        if last_time is None:
            return True
        return (now - last_time).total_seconds() >= every_seconds
    return False
