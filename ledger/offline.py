"""Offline checks of saved auditor-API answers: an inclusion or consistency proof against signed
checkpoints, with no network and no database (``maestro ledger verify --proof``).

An auditor saves, from the API, the JSON of ``GET /ledger/checkpoint`` (or the bare signed note),
``GET /ledger/public-key`` (or the verifier key, or a PEM), ``GET /ledger/entries/{seq}`` and
``GET /ledger/proof/inclusion`` or ``/consistency``.  Nothing in a proof answer is trusted: the
roots come from checkpoints whose signatures verify with the auditor's key, and the leaf of an
inclusion proof is recomputed from the entry (whose own hashes are checked too).

Pure: the caller reads the files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ledger.checkpoint import Checkpoint, CheckpointError, parse_and_verify_checkpoint
from ledger.entry_checks import BadEntry, check_entry
from ledger.merkle import ProofError, hash_leaf
from ledger.merkle_verify import verify_consistency, verify_inclusion

__all__ = [
    "OfflineError",
    "checkpoint_text",
    "load_checkpoints",
    "public_key_text",
    "verify_consistency_answer",
    "verify_inclusion_answer",
]


class OfflineError(ValueError):
    """The saved material does not verify (or is not what it claims); the message says why."""


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise OfflineError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise OfflineError("expected a JSON object")
    return value


def checkpoint_text(text: str) -> str:
    """The signed note from a saved ``GET /ledger/checkpoint`` answer or a bare note file."""
    body = _json_object(text)
    if body is None:
        return text
    note = body.get("checkpoint")
    if not isinstance(note, str):
        raise OfflineError('the checkpoint JSON has no "checkpoint" note text')
    return note


def public_key_text(text: str) -> str:
    """The key from a saved ``GET /ledger/public-key`` answer, a verifier key line or a PEM.

    ``maestro ledger public-key`` prints the verifier key and then the PEM: the first line wins.
    """
    body = _json_object(text)
    if body is not None:
        key = body.get("verifier_key")
        if not isinstance(key, str):
            raise OfflineError('the public-key JSON has no "verifier_key"')
        return key
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if first.count("+") == 2 and "-----" not in first else text


def _origin_of(note: str) -> str:
    return note.split("\n", 1)[0]


def load_checkpoints(notes: Sequence[str], public_key: str, origin: str | None) -> list[Checkpoint]:
    """Verify each signed checkpoint with ``public_key``; the origin defaults to each note's own
    first line (the signature covers it, so a changed origin fails with the right key)."""
    out = []
    for i, note in enumerate(notes):
        try:
            out.append(parse_and_verify_checkpoint(note, origin or _origin_of(note), public_key))
        except CheckpointError as exc:
            raise OfflineError(f"checkpoint {i + 1}: {exc}") from None
    return out


def _uint(body: Mapping[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise OfflineError(f"the proof's {name!r} is not a non-negative integer")
    return value


def _hashes(body: Mapping[str, Any], name: str) -> list[bytes]:
    values = body.get(name)
    if not isinstance(values, list):
        raise OfflineError(f"the proof has no {name!r} list")
    try:
        return [bytes.fromhex(v) for v in values]
    except (TypeError, ValueError):
        raise OfflineError(f"the proof's {name!r} holds a value that is not hex") from None


def _leaf_of_entry(entry: Mapping[str, Any], seq: int) -> bytes:
    """The RFC 6962 leaf of a saved entry, after checking the entry's own hashes."""
    if entry.get("seq") != seq:
        raise OfflineError(f"the entry has seq {entry.get('seq')!r}, the proof is for {seq}")
    try:
        prev = bytes.fromhex(str(entry.get("prev_hash")))
        data, _, _ = check_entry(entry, seq, prev)
    except ValueError:
        raise OfflineError("the entry's prev_hash is not hex") from None
    except BadEntry as exc:
        raise OfflineError(f"the entry does not check ({exc.problem}): {exc.message}") from None
    return hash_leaf(data)


def verify_inclusion_answer(
    proof: Mapping[str, Any],
    checkpoint: Checkpoint,
    *,
    entry: Mapping[str, Any] | None = None,
    leaf_hash: bytes | None = None,
) -> str:
    """Check a saved inclusion proof for ``entry`` (or ``leaf_hash``) against ``checkpoint``.

    Returns what was verified; raises :class:`OfflineError` saying why not.
    """
    seq, size = _uint(proof, "seq"), _uint(proof, "tree_size")
    path = _hashes(proof, "audit_path")
    if size != checkpoint.size:
        raise OfflineError(
            f"the proof is for a tree of size {size} but the checkpoint commits to size "
            f"{checkpoint.size}: fetch /ledger/proof/inclusion?seq={seq}&tree_size="
            f"{checkpoint.size}"
        )
    if entry is not None:
        leaf, source = _leaf_of_entry(entry, seq), "recomputed from the entry"
    elif leaf_hash is not None:
        leaf, source = leaf_hash, "as given"
    else:
        raise OfflineError("an inclusion proof needs the entry (or its leaf hash)")
    served = proof.get("leaf_hash")
    if served is not None and served != leaf.hex():
        raise OfflineError(
            f"the proof is for leaf {served}, but entry {seq}'s leaf is {leaf.hex()}"
        )
    try:
        verify_inclusion(leaf, seq, size, path, checkpoint.root_hash)
    except ProofError as exc:
        raise OfflineError(f"the inclusion proof does not verify: {exc}") from None
    return (
        f"entry {seq} (leaf {leaf.hex()}, {source}) is in the tree of size {size} whose root "
        f"{checkpoint.root_hash.hex()} is signed by the checkpoint"
    )


def verify_consistency_answer(proof: Mapping[str, Any], checkpoints: Sequence[Checkpoint]) -> str:
    """Check a saved consistency proof between two of the given signed checkpoints."""
    first, second = _uint(proof, "first"), _uint(proof, "second")
    path = _hashes(proof, "consistency")
    by_size = {cp.size: cp for cp in checkpoints}
    missing = [size for size in (first, second) if size not in by_size]
    if missing:
        have = ", ".join(str(s) for s in sorted(by_size)) or "none"
        raise OfflineError(
            f"the proof is between sizes {first} and {second}; give checkpoints of both "
            f"(missing size {', '.join(map(str, missing))}; given: {have})"
        )
    old, new = by_size[first], by_size[second]
    try:
        verify_consistency(first, second, path, old.root_hash, new.root_hash)
    except ProofError as exc:
        raise OfflineError(f"the consistency proof does not verify: {exc}") from None
    return (
        f"the tree of size {second} (root {new.root_hash.hex()}) extends the tree of size "
        f"{first} (root {old.root_hash.hex()}); both roots are signed by the checkpoints"
    )
