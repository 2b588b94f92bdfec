"""The per-entry checks of ``maestro ledger verify``: what is wrong with an entry, and why.

:func:`check_entry` defines the semantics of verifying one entry (the rules of
``docs/ledger.md`` §6) for both entry shapes the verifier accepts: a mapping in the auditor-API
shape, or an :class:`~ledger.entry.Entry`.  The fast paths in :mod:`ledger.walk` accept only
entries this function accepts and hand everything else to it, so it is also what explains each
failure.

A *stored row* is an entry as the database holds it: a tuple in :data:`STORED_FIELDS` order
whose ``payload`` is the canonical JSON text (``None`` once purged).  Its meaning is defined by
:func:`stored_to_api`, the shape the auditor API serves it in.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from ledger.canonical import CanonicalJSONError, canonical_json
from ledger.entry import Entry, header_fields

__all__ = ["STORED_FIELDS", "BadEntry", "Problem", "check_entry", "stored_to_api"]

_sha256 = hashlib.sha256

STORED_FIELDS: tuple[str, ...] = (
    "seq",
    "time",
    "actor",
    "installation_id",
    "repository",
    "kind",
    "subject",
    "payload",
    "payload_sha256",
    "prev_hash",
    "entry_hash",
)
"""Column order of a stored row; ``payload`` is the stored JSON text or ``None`` (purged)."""


class Problem(StrEnum):
    """Why verification failed."""

    MALFORMED = "malformed_entry"
    """An entry is not a valid entry (missing/ill-typed field, bad hex ...)."""
    SEQUENCE = "sequence_error"
    """Entry ``i`` does not have ``seq == i``: a row was deleted, inserted or reordered."""
    PAYLOAD_HASH = "payload_hash_mismatch"
    """The payload does not hash to the header's ``payload_sha256``: the payload was edited."""
    PREV_HASH = "prev_hash_mismatch"
    """``prev_hash`` is not the previous entry's ``entry_hash``: the chain is broken here."""
    ENTRY_HASH = "entry_hash_mismatch"
    """``entry_hash`` is not ``SHA-256(prev_hash || leaf_data)``: the header was edited."""
    LEAF_HASH = "leaf_hash_mismatch"
    """An entry carries a ``leaf_hash`` that is not ``SHA-256(0x00 || leaf_data)``."""
    CHECKPOINT_INVALID = "checkpoint_invalid"
    """A checkpoint's signature, origin or format is bad."""
    TRUNCATED = "log_truncated"
    """A checkpoint commits to more entries than the log holds: the tail was removed."""
    ROOT_MISMATCH = "root_mismatch"
    """The recomputed Merkle root differs from a signed checkpoint's: entries were rewritten."""


class BadEntry(Exception):
    """An entry failed a check: ``problem`` says which, ``message`` why."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def stored_to_api(row: Sequence[Any]) -> dict[str, Any]:
    """A stored row (:data:`STORED_FIELDS` order) in the auditor-API shape, exactly as stored.

    Nothing is validated: a payload text that is not JSON is passed on as the text itself, so
    that the verifier reports it instead of this function failing.
    """
    seq, time, actor, inst, repo, kind, subject, text, digest, prev_hash, entry_hash = row
    payload: Any = None
    if text is not None:
        try:
            payload = json.loads(text)
        except (TypeError, ValueError):
            payload = text  # corrupted text: let the verifier report it
    return {
        "seq": seq,
        "time": time,
        "actor": actor,
        "installation_id": inst,
        "repository": repo,
        "kind": kind,
        "subject": subject,
        "payload_sha256": digest,
        "payload": payload,
        "purged": text is None,
        "prev_hash": prev_hash,
        "entry_hash": entry_hash,
    }


def _hex32(value: Any, what: str) -> bytes:
    if isinstance(value, str) and len(value) == 64:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            pass
        else:
            if raw.hex() == value:
                return raw
    raise BadEntry(Problem.MALFORMED, f"{what} is not 64 lowercase hex characters")


def _unpack(item: Mapping[str, Any] | Entry) -> tuple[dict[str, Any], Any, bool, bytes, bytes]:
    """(header fields, payload, purged, prev_hash, entry_hash) of an entry in either shape."""
    if isinstance(item, Entry):
        return (
            item.header.fields(),
            item.payload,
            item.payload is None,
            bytes.fromhex(item.prev_hash),
            bytes.fromhex(item.entry_hash),
        )
    if not isinstance(item, Mapping):
        raise BadEntry(Problem.MALFORMED, f"entry is a {type(item).__name__}, not an object")
    try:
        fields = header_fields(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "header"
        raise BadEntry(Problem.MALFORMED, f"invalid header field {where}: {first['msg']}") from None
    purged = item.get("purged", False)
    if type(purged) is not bool:
        raise BadEntry(Problem.MALFORMED, "purged must be a boolean")
    payload = item.get("payload")
    if purged and payload is not None:
        raise BadEntry(Problem.MALFORMED, "entry is marked purged but carries a payload")
    if not purged and payload is None:
        raise BadEntry(Problem.MALFORMED, "entry has no payload but is not marked purged")
    return (
        fields,
        payload,
        purged,
        _hex32(item.get("prev_hash"), "prev_hash"),
        _hex32(item.get("entry_hash"), "entry_hash"),
    )


def _seq_of(item: Any) -> int | None:
    if isinstance(item, Entry):
        return item.header.seq
    if isinstance(item, Mapping):
        seq = item.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            return seq
    return None


def check_entry(item: Any, index: int, prev: bytes) -> tuple[bytes, bool, bytes]:
    """Check the entry at position ``index`` whose predecessor's ``entry_hash`` is ``prev``.

    Returns (leaf data, purged, entry_hash) or raises :class:`BadEntry`.  The checks run in the
    documented order, so the first failing one is the problem reported.
    """
    seq = _seq_of(item)
    if seq is not None and seq != index:
        if seq > index:
            msg = f"entry {index} is missing: the entry at position {index} has seq {seq}"
        else:
            msg = f"entry at position {index} has seq {seq}: duplicated or out of order"
        raise BadEntry(Problem.SEQUENCE, msg)
    fields, payload, purged, prev_hash, entry_hash = _unpack(item)
    if not purged:
        if not isinstance(payload, Mapping):
            raise BadEntry(Problem.MALFORMED, "payload must be a JSON object")
        try:
            digest = _sha256(canonical_json(payload)).hexdigest()
        except CanonicalJSONError as exc:
            raise BadEntry(Problem.MALFORMED, f"payload is not plain JSON: {exc}") from None
        if digest != fields["payload_sha256"]:
            raise BadEntry(
                Problem.PAYLOAD_HASH,
                f"payload hashes to {digest}, but the header commits to "
                f"{fields['payload_sha256']}: the payload was altered",
            )
    if prev_hash != prev:
        if index == 0:
            msg = "prev_hash of entry 0 is not the genesis value (32 zero bytes)"
        else:
            msg = (
                f"prev_hash is not entry {index - 1}'s entry_hash: the chain is broken "
                f"between entries {index - 1} and {index}"
            )
        raise BadEntry(Problem.PREV_HASH, msg)
    try:
        data = canonical_json(fields)
    except CanonicalJSONError as exc:
        raise BadEntry(Problem.MALFORMED, f"header is not plain JSON: {exc}") from None
    if _sha256(prev_hash + data).digest() != entry_hash:
        raise BadEntry(
            Problem.ENTRY_HASH,
            "entry_hash is not SHA-256(prev_hash || leaf_data): the header or the hash was altered",
        )
    if (
        isinstance(item, Mapping)
        and "leaf_hash" in item
        and _sha256(b"\x00" + data).hexdigest() != item["leaf_hash"]
    ):
        raise BadEntry(Problem.LEAF_HASH, "leaf_hash is not SHA-256(0x00 || leaf_data)")
    return data, purged, entry_hash
