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

Memory use is O(log n): entries may be streamed from a generator.  The pass itself lives in
:mod:`ledger.walk` (resumable, page by page, with fast paths for plain rows) and the checks of one
entry in :mod:`ledger.entry_checks`; this module adds the checkpoints and the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel

from ledger.checkpoint import Checkpoint, CheckpointError, parse_and_verify_checkpoint
from ledger.entry import Entry
from ledger.entry_checks import Problem
from ledger.walk import ChainWalk, LogAccumulator

__all__ = [
    "CheckpointReport",
    "LogAccumulator",
    "ParsedCheckpoint",
    "Problem",
    "VerifyReport",
    "build_report",
    "checkpoint_sizes",
    "parse_checkpoints",
    "verify_entries",
    "verify_stored",
]


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


ParsedCheckpoint = tuple[str, Checkpoint | None, str]
"""(label, the checkpoint once its signature verified or None, why it did not verify)."""


def parse_checkpoints(
    checkpoint: str | bytes | Checkpoint | None = None,
    earlier_checkpoints: Sequence[str | bytes | Checkpoint] = (),
    public_key: Ed25519PublicKey | str | bytes | None = None,
    origin: str | None = None,
    key_name: str | None = None,
) -> list[ParsedCheckpoint]:
    """Label (``latest``, ``earlier[i]``) and verify the checkpoints a verification checks.

    Checkpoint texts are verified with ``public_key`` for ``origin`` (key name ``key_name``,
    default the origin); :class:`~ledger.checkpoint.Checkpoint` objects count as verified.
    """
    labelled: list[tuple[str, str | bytes | Checkpoint]] = []
    if checkpoint is not None:
        labelled.append(("latest", checkpoint))
    labelled.extend((f"earlier[{i}]", given) for i, given in enumerate(earlier_checkpoints))
    out: list[ParsedCheckpoint] = []
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


def checkpoint_sizes(parsed: Iterable[ParsedCheckpoint]) -> set[int]:
    """The tree sizes whose recomputed roots the checkpoints need (``ChainWalk(root_sizes=…)``)."""
    return {cp.size for _, cp, _ in parsed if cp is not None}


_Finding = tuple[int, int, Problem, str, int | None, tuple[int, int] | None]
"""(position, tie-break order, problem, message, first_bad_seq, suspect_range)."""


def _check_checkpoints(
    parsed: list[ParsedCheckpoint], walk: ChainWalk
) -> tuple[list[CheckpointReport], list[_Finding]]:
    verified, roots = walk.size, walk.roots
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
    parsed = parse_checkpoints(checkpoint, earlier_checkpoints, public_key, origin, key_name)
    walk = ChainWalk(checkpoint_sizes(parsed))
    walk.feed(entries)
    return build_report(walk, parsed)


def verify_stored(
    rows: Iterable[Sequence[Any]],
    *,
    checkpoint: str | bytes | Checkpoint | None = None,
    earlier_checkpoints: Sequence[str | bytes | Checkpoint] = (),
    public_key: Ed25519PublicKey | str | bytes | None = None,
    origin: str | None = None,
    key_name: str | None = None,
) -> VerifyReport:
    """:func:`verify_entries` for stored rows (``ledger.entry_checks.STORED_FIELDS`` tuples).

    The same verdict as ``verify_entries`` over ``map(stored_to_api, rows)``, faster.
    """
    parsed = parse_checkpoints(checkpoint, earlier_checkpoints, public_key, origin, key_name)
    walk = ChainWalk(checkpoint_sizes(parsed))
    walk.feed_stored(rows)
    return build_report(walk, parsed)


def build_report(walk: ChainWalk, parsed: list[ParsedCheckpoint]) -> VerifyReport:
    """The report for the entries fed to ``walk`` so far and the given checkpoints.

    Does not change ``walk``: feeding it more entries and reporting again is a resumed
    verification.  A checkpoint beyond the walk's size counts as a truncated log.
    """
    reports, found = _check_checkpoints(parsed, walk)
    if walk.bad is not None and walk.bad_index is not None:
        i = walk.bad_index
        found.append((i, 0, walk.bad.problem, f"entry {i}: {walk.bad.message}", i, None))

    verified = walk.size
    common: dict[str, Any] = {
        "entries": walk.read,
        "verified": verified,
        "purged": walk.purged,
        "root_hash": walk.root().hex(),
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
