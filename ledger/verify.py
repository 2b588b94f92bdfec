"""Offline verification of a ledger: payload hashes, hash chain, Merkle root, checkpoints.

This is what ``maestro ledger verify`` runs.  It trusts nothing but the
entries it is given (dicts in the auditor API shape, see ``docs/ledger.md``,
or :class:`~ledger.entry.Entry` objects) and, optionally, signed checkpoints
plus the log's public key.  It depends only on the entry model, the Merkle
maths and the checkpoint format -- no database, no network.

For entry ``i`` (which must have ``seq == i``; entries start at 0):

1. the header is well formed;
2. unless the payload is purged, ``SHA-256(canonical_json(payload))`` equals
   the header's ``payload_sha256`` (purged entries keep that stored hash);
3. ``prev_hash`` equals the previous ``entry_hash`` (32 zero bytes for entry 0);
4. ``entry_hash`` equals ``SHA-256(prev_hash || leaf_data(header))``;
5. the leaf ``SHA-256(0x00 || leaf_data(header))`` is added to the Merkle tree.

Verification stops at the first bad entry and names it.  Then each checkpoint
is checked: its signature, that the log holds at least its size of entries
(fewer means the tail was truncated), and that the recomputed RFC 6962 root at
its size equals its root hash (a mismatch means entries were rewritten with
recomputed hashes; matching earlier checkpoints narrow down where).

Memory use is O(log n): entries may be streamed from a generator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ValidationError

from ledger.canonical import CanonicalJSONError, canonical_json
from ledger.checkpoint import Checkpoint, CheckpointError, parse_and_verify_checkpoint
from ledger.entry import (
    GENESIS_PREV_HASH,
    Entry,
    _fast_header_fields,
    _fast_leaf_data,
    header_fields,
)
from ledger.merkle import EMPTY_ROOT

__all__ = ["CheckpointReport", "LogAccumulator", "Problem", "VerifyReport", "verify_entries"]

_sha256 = hashlib.sha256


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


class CheckpointReport(BaseModel):
    """The outcome for one checkpoint."""

    label: str
    """``latest`` or ``earlier[i]``."""
    ok: bool
    size: int | None = None
    root_hash: str | None = None
    """The checkpoint's root hash (hex), once its signature verified."""
    message: str


class VerifyReport(BaseModel):
    """Result of :func:`verify_entries`."""

    ok: bool
    entries: int
    """How many entries were read (verification stops after the first bad one)."""
    verified: int
    """How many entries, from seq 0, passed every check."""
    purged: int
    """How many of the verified entries had their payload purged."""
    root_hash: str
    """RFC 6962 root (hex) over the ``verified`` entries."""
    head_hash: str
    """``entry_hash`` (hex) of the last verified entry (zeros when none)."""
    first_bad_seq: int | None = None
    """The first bad sequence number, when it can be told."""
    problem: Problem | None = None
    message: str
    suspect_range: tuple[int, int] | None = None
    """For a root mismatch: the first bad entry lies in ``[lo, hi]``."""
    checkpoints: list[CheckpointReport] = []


class LogAccumulator:
    """Streaming RFC 6962 root over appended leaf hashes (a compact range, O(log n) memory)."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self.size = 0

    def append(self, leaf_hash: bytes) -> None:
        acc, n, stack = leaf_hash, self.size, self._stack
        while n & 1:
            acc = _sha256(b"\x01" + stack.pop() + acc).digest()
            n >>= 1
        stack.append(acc)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for h in reversed(self._stack[:-1]):
            acc = _sha256(b"\x01" + h + acc).digest()
        return acc


class _Bad(Exception):
    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def _hex32(value: Any, what: str) -> bytes:
    if isinstance(value, str) and len(value) == 64:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            pass
        else:
            if raw.hex() == value:
                return raw
    raise _Bad(Problem.MALFORMED, f"{what} is not 64 lowercase hex characters")


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
        raise _Bad(Problem.MALFORMED, f"entry is a {type(item).__name__}, not an object")
    try:
        fields = header_fields(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "header"
        raise _Bad(Problem.MALFORMED, f"invalid header field {where}: {first['msg']}") from None
    purged = item.get("purged", False)
    if type(purged) is not bool:
        raise _Bad(Problem.MALFORMED, "purged must be a boolean")
    payload = item.get("payload")
    if purged and payload is not None:
        raise _Bad(Problem.MALFORMED, "entry is marked purged but carries a payload")
    if not purged and payload is None:
        raise _Bad(Problem.MALFORMED, "entry has no payload but is not marked purged")
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


@dataclass(slots=True)
class _Walk:
    """State of the pass over the entries."""

    acc: LogAccumulator
    prev: bytes = GENESIS_PREV_HASH
    read: int = 0
    purged: int = 0
    bad_index: int | None = None
    bad: _Bad | None = None


def _check_entry(
    item: Mapping[str, Any] | Entry, index: int, prev: bytes
) -> tuple[bytes, bool, bytes]:
    """Check entry ``index``; returns (leaf data, purged, entry_hash) or raises :class:`_Bad`."""
    seq = _seq_of(item)
    if seq is not None and seq != index:
        if seq > index:
            msg = f"entry {index} is missing: the entry at position {index} has seq {seq}"
        else:
            msg = f"entry at position {index} has seq {seq}: duplicated or out of order"
        raise _Bad(Problem.SEQUENCE, msg)
    fields, payload, purged, prev_hash, entry_hash = _unpack(item)
    if not purged:
        if not isinstance(payload, Mapping):
            raise _Bad(Problem.MALFORMED, "payload must be a JSON object")
        try:
            digest = _sha256(canonical_json(payload)).hexdigest()
        except CanonicalJSONError as exc:
            raise _Bad(Problem.MALFORMED, f"payload is not plain JSON: {exc}") from None
        if digest != fields["payload_sha256"]:
            raise _Bad(
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
        raise _Bad(Problem.PREV_HASH, msg)
    try:
        data = canonical_json(fields)
    except CanonicalJSONError as exc:
        raise _Bad(Problem.MALFORMED, f"header is not plain JSON: {exc}") from None
    if _sha256(prev_hash + data).digest() != entry_hash:
        raise _Bad(
            Problem.ENTRY_HASH,
            "entry_hash is not SHA-256(prev_hash || leaf_data): the header or the hash was altered",
        )
    if (
        isinstance(item, Mapping)
        and "leaf_hash" in item
        and _sha256(b"\x00" + data).hexdigest() != item["leaf_hash"]
    ):
        raise _Bad(Problem.LEAF_HASH, "leaf_hash is not SHA-256(0x00 || leaf_data)")
    return data, purged, entry_hash


def _fast_entry(
    item: Any, index: int, prev: bytes, prev_hex: str
) -> tuple[bytes, bool, bytes, str] | None:
    """The common case of :func:`_check_entry` for a well-formed plain ``dict`` row.

    Returns (leaf data, purged, entry_hash, entry_hash hex) when every check
    passes, and ``None`` whenever anything is unusual or wrong -- the caller
    then runs :func:`_check_entry`, which defines the semantics and explains
    failures.  Saves the hex decoding and generic serialisation work.
    """
    if type(item) is not dict:
        return None
    fields = _fast_header_fields(item)
    if fields is None or fields["seq"] != index or item.get("prev_hash") != prev_hex:
        return None
    purged = item.get("purged", False)
    payload = item.get("payload")
    try:
        if purged is False and type(payload) is dict:
            if _sha256(canonical_json(payload)).hexdigest() != fields["payload_sha256"]:
                return None
        elif purged is not True or payload is not None:
            return None
        data = _fast_leaf_data(fields)
    except (ValueError, CanonicalJSONError):  # UnicodeEncodeError is a ValueError
        return None
    entry_hash = _sha256(prev + data).digest()
    entry_hex = entry_hash.hex()
    if entry_hex != item.get("entry_hash"):
        return None
    if "leaf_hash" in item and _sha256(b"\x00" + data).hexdigest() != item["leaf_hash"]:
        return None
    return data, purged, entry_hash, entry_hex


def _load_checkpoints(
    labelled: list[tuple[str, str | bytes | Checkpoint]],
    public_key: Ed25519PublicKey | str | bytes | None,
    origin: str | None,
    key_name: str | None,
) -> list[tuple[str, Checkpoint | None, str]]:
    out: list[tuple[str, Checkpoint | None, str]] = []
    for label, given in labelled:
        if isinstance(given, Checkpoint):
            out.append((label, given, ""))
        elif public_key is None or origin is None:
            out.append((label, None, "verifying a checkpoint text needs public_key and origin"))
        else:
            try:
                cp = parse_and_verify_checkpoint(given, origin, public_key, name=key_name)
            except CheckpointError as exc:
                out.append((label, None, str(exc)))
            else:
                out.append((label, cp, ""))
    return out


_Finding = tuple[int, int, Problem, str, int | None, tuple[int, int] | None]
"""(position, tie-break order, problem, message, first_bad_seq, suspect_range)."""


def _check_checkpoints(
    parsed: list[tuple[str, Checkpoint | None, str]],
    roots: dict[int, bytes],
    walk: _Walk,
) -> tuple[list[CheckpointReport], list[_Finding]]:
    verified = walk.acc.size
    matching = [
        cp.size for _, cp, _ in parsed if cp is not None and roots.get(cp.size) == cp.root_hash
    ]
    reports: list[CheckpointReport] = []
    found: list[_Finding] = []
    for label, cp, err in parsed:
        if cp is None:
            reports.append(CheckpointReport(label=label, ok=False, message=err))
            found.append(
                (1 << 64, 3, Problem.CHECKPOINT_INVALID, f"{label} checkpoint: {err}", None, None)
            )
            continue

        def report(ok: bool, message: str, cp: Checkpoint = cp, label: str = label) -> None:
            reports.append(
                CheckpointReport(
                    label=label, ok=ok, size=cp.size, root_hash=cp.root_hash.hex(), message=message
                )
            )

        if cp.size in roots:
            got = roots[cp.size]
            if got == cp.root_hash:
                report(True, "root matches the entries")
                continue
            report(False, f"recomputed root {got.hex()} differs from the signed root")
            lower = max((size for size in matching if size < cp.size), default=0)
            last = cp.size - 1
            found.append(
                (
                    lower,
                    1,
                    Problem.ROOT_MISMATCH,
                    f"the Merkle root over entries 0..{last} does not match the {label} "
                    f"checkpoint: an entry in {lower}..{last} was rewritten with recomputed "
                    "hashes",
                    lower if lower == last else None,
                    (lower, last),
                )
            )
        elif walk.bad is None:
            report(False, f"covers {cp.size} entries but the log has only {verified}")
            found.append(
                (
                    verified,
                    2,
                    Problem.TRUNCATED,
                    f"the {label} checkpoint commits to {cp.size} entries but the log has "
                    f"only {verified}: entries {verified}..{cp.size - 1} are missing",
                    verified,
                    None,
                )
            )
        else:
            report(False, f"not checked: the log is broken at entry {walk.bad_index}")
    return reports, found


def verify_entries(
    entries: Iterable[Mapping[str, Any] | Entry],
    *,
    checkpoint: str | bytes | Checkpoint | None = None,
    earlier_checkpoints: Sequence[str | bytes | Checkpoint] = (),
    public_key: Ed25519PublicKey | str | bytes | None = None,
    origin: str | None = None,
    key_name: str | None = None,
) -> VerifyReport:
    """Verify a whole log, from seq 0, and optionally its checkpoints.

    ``checkpoint`` is the latest signed checkpoint and ``earlier_checkpoints``
    any older ones the auditor kept.  Checkpoint texts are verified with
    ``public_key`` for ``origin`` (key name ``key_name``, default the origin);
    :class:`~ledger.checkpoint.Checkpoint` objects are taken as already
    verified.  Never raises for bad data: everything is in the report.
    """
    labelled: list[tuple[str, str | bytes | Checkpoint]] = []
    if checkpoint is not None:
        labelled.append(("latest", checkpoint))
    labelled.extend((f"earlier[{i}]", given) for i, given in enumerate(earlier_checkpoints))
    parsed = _load_checkpoints(labelled, public_key, origin, key_name)
    wanted = {cp.size for _, cp, _ in parsed if cp is not None}
    roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in wanted else {}

    walk = _Walk(LogAccumulator())
    acc = walk.acc
    prev_hex = GENESIS_PREV_HASH.hex()
    for item in entries:
        index = walk.read
        walk.read += 1
        leaf = _fast_entry(item, index, walk.prev, prev_hex)
        if leaf is not None:
            data, purged, entry_hash, prev_hex = leaf
        else:
            # Unusual or bad entry: the thorough check either accepts it or says why not.
            try:
                data, purged, entry_hash = _check_entry(item, index, walk.prev)
            except _Bad as exc:
                walk.bad_index, walk.bad = index, exc
                break
            prev_hex = entry_hash.hex()
        walk.purged += purged
        acc.append(_sha256(b"\x00" + data).digest())
        walk.prev = entry_hash
        if acc.size in wanted:
            roots[acc.size] = acc.root()

    reports, found = _check_checkpoints(parsed, roots, walk)
    if walk.bad is not None and walk.bad_index is not None:
        i = walk.bad_index
        found.append((i, 0, walk.bad.problem, f"entry {i}: {walk.bad.message}", i, None))

    verified = walk.acc.size
    common: dict[str, Any] = {
        "entries": walk.read,
        "verified": verified,
        "purged": walk.purged,
        "root_hash": walk.acc.root().hex(),
        "head_hash": walk.prev.hex(),
        "checkpoints": reports,
    }
    if found:
        # The problem at the lowest position wins; chain problems win ties (they are exact),
        # then the narrowest suspect range.
        _, _, problem, message, first, suspect = min(
            found, key=lambda f: (f[0], f[1], f[5][1] if f[5] else f[0])
        )
        return VerifyReport(
            ok=False,
            first_bad_seq=first,
            problem=problem,
            message=message,
            suspect_range=suspect,
            **common,
        )
    summary = f"{verified} entries verified ({walk.purged} with purged payloads)"
    if reports:
        summary += f"; {len(reports)} checkpoint(s) match"
    return VerifyReport(ok=True, message=summary, **common)
