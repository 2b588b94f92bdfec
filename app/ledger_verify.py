"""Feeds `ledger.verify.verify_entries` from a database or an auditor API, page by page.

Local verification streams rows in `seq` order (keyset pages, so a deleted row shows up as a
gap, not as a shifted page) into the pure verifier running in a worker thread; memory stays
O(page + log n) apart from one 32-byte leaf hash per entry kept for the node check.

The node check is what only the database side can do: every stored Merkle node must equal the
one recomputed from the entries, the head must agree with the rows, and no node may exist past
the last entry (a removed tail leaves its nodes behind). A mismatch names the first entry under
the bad node. Remote verification instead checks the server's consistency proofs against the
auditor's earlier checkpoints.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.ledger_queries import entries_after, entry_to_api, log_size
from app.tables import LedgerNode
from ledger.canonical import canonical_json
from ledger.checkpoint import CheckpointError, parse_and_verify_checkpoint
from ledger.entry import header_fields
from ledger.merkle import ProofError, hash_children, verify_consistency
from ledger.verify import VerifyReport, verify_entries

PAGE = 5000


@dataclass
class Finding:
    """A problem found outside `verify_entries` (node table, head row, remote proofs)."""

    seq: int | None
    message: str


def _leaf(item: dict[str, Any]) -> bytes | None:
    try:
        return hashlib.sha256(b"\x00" + canonical_json(header_fields(item))).digest()
    except Exception:  # malformed rows are reported by the verifier itself
        return None


def merge(report: VerifyReport, findings: list[Finding]) -> VerifyReport:
    """Fold extra findings into the report: the lowest sequence number wins."""
    if not findings:
        return report
    first = min(findings, key=lambda f: (f.seq is None, f.seq or 0))
    if not report.ok and (
        first.seq is None
        or (report.first_bad_seq is not None and first.seq >= report.first_bad_seq)
    ):
        return report
    # A node or head finding is more precise than a checkpoint's suspect range.
    return report.model_copy(
        update={
            "ok": False,
            "first_bad_seq": first.seq,
            "problem": None if report.ok else report.problem,
            "message": first.message,
        }
    )


async def _nodes_at(session: AsyncSession, level: int, after: int) -> list[tuple[int, bytes]]:
    query = (
        select(LedgerNode.idx, LedgerNode.hash)
        .where(LedgerNode.level == level, LedgerNode.idx > after)
        .order_by(LedgerNode.idx)
        .limit(PAGE)
    )
    return [(int(i), bytes(h)) for i, h in await session.execute(query)]


async def check_nodes(
    session: AsyncSession, leaves: list[bytes], rows: int, complete: bool
) -> list[Finding]:
    """Compare every stored node with the tree recomputed from `leaves` (the verified prefix).

    `complete` says every row verified (`rows` is the whole table); only then are the head and
    the nodes past the end judged.
    """
    findings: list[Finding] = []
    head = await log_size(session)
    if complete and head != rows:
        first = min(head, rows)
        what = "entries are missing at the end" if head > rows else "rows exist past the head"
        findings.append(
            Finding(
                first, f"the ledger head says {head} entries but the table holds {rows}: {what}"
            )
        )
    expected = leaves  # this level's hashes, recomputed from the entries
    bad_below: set[int] = set()  # indices of mismatching nodes on the level below
    level = 0
    while True:
        bad: set[int] = set()
        after, want = -1, 0  # `want`: the next index a gap-free level must hold
        while page := await _nodes_at(session, level, after):
            for idx, value in page:
                start, end = idx << level, ((idx + 1) << level) - 1
                if end >= rows:
                    if complete:
                        findings.append(_past_end(level, idx, rows))
                    continue
                if idx > want and idx <= len(expected):
                    findings.append(_missing(level, want))
                want = idx + 1
                if idx < len(expected) and expected[idx] != value:
                    bad.add(idx)
                    # Only the lowest bad node is the altered one: its ancestors differ from
                    # the recomputed tree merely because they sit above it.
                    if not {2 * idx, 2 * idx + 1} & bad_below:
                        findings.append(
                            Finding(
                                start,
                                f"entry {start}: stored tree node ({level}, {idx}) over entries "
                                f"{start}..{end} does not match the entries: the node table "
                                "or the entries were altered, so proofs served from it are wrong",
                            )
                        )
            after = page[-1][0]
        if want < len(expected):
            findings.append(_missing(level, want))
        if len(expected) < 2 and (rows >> level) < 2:
            break
        expected = [
            hash_children(expected[i], expected[i + 1]) for i in range(0, len(expected) - 1, 2)
        ]
        bad_below = bad
        level += 1
    return findings


def _past_end(level: int, idx: int, rows: int) -> Finding:
    start, end = idx << level, ((idx + 1) << level) - 1
    return Finding(
        rows,
        f"a tree node ({level}, {idx}) exists for entries {start}..{end}, past the last entry "
        f"{rows - 1}: entries were removed from the end",
    )


def _missing(level: int, idx: int) -> Finding:
    start = idx << level
    return Finding(
        start,
        f"entry {start}: tree node ({level}, {idx}) is missing from the node table, so proofs "
        "that need it cannot be served",
    )


async def verify_database(
    sessions: async_sessionmaker[AsyncSession],
    checkpoint: str | None,
    earlier: list[str],
    public_key: Any,
    origin: str | None,
) -> VerifyReport:
    """Verify the whole ledger stored in a database (entries, chain, nodes, checkpoints)."""
    loop = asyncio.get_running_loop()
    leaves: list[bytes | None] = []

    async def page(after: int) -> list[dict[str, Any]]:
        async with sessions() as session:
            return [entry_to_api(r) for r in await entries_after(session, after, PAGE)]

    def items() -> Iterator[dict[str, Any]]:
        after = -1
        while batch := asyncio.run_coroutine_threadsafe(page(after), loop).result():
            for item in batch:
                leaves.append(_leaf(item))
                yield item
            after = batch[-1]["seq"]

    report = await asyncio.to_thread(
        verify_entries,
        items(),
        checkpoint=checkpoint,
        earlier_checkpoints=earlier,
        public_key=public_key,
        origin=origin,
    )
    prefix = [leaf for leaf in leaves[: report.verified] if leaf is not None]
    async with sessions() as session:
        # Nodes past the end and the head can be judged only when every row verified.
        complete = report.verified == report.entries
        findings = await check_nodes(session, prefix, report.verified, complete)
    return merge(report, findings)


class RemoteError(Exception):
    """The auditor API could not be read; the message says what failed."""


def _get(client: httpx.Client, url: str, **params: Any) -> Any:
    try:
        response = client.get(url, params=params or None)
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach {url}: {exc}") from None
    if response.status_code != 200:
        try:
            detail = response.json().get("error", "")
        except ValueError:
            detail = response.text[:200]
        raise RemoteError(f"GET {response.request.url} answered {response.status_code}: {detail}")
    try:
        return response.json()
    except ValueError:
        raise RemoteError(f"GET {response.request.url} did not answer JSON") from None


def remote_entries(client: httpx.Client, base: str) -> Iterator[dict[str, Any]]:
    """Every entry from the auditor API, following the `next` links."""
    url: str | None = f"{base}/ledger/entries"
    params: dict[str, Any] = {"start": 0}
    while url:
        body = _get(client, url, **params)
        yield from body.get("entries", [])
        url, params = body.get("next"), {}


def verify_remote(
    client: httpx.Client,
    base: str,
    public_key: Any,
    origin: str | None,
    earlier: list[str],
) -> tuple[VerifyReport, dict[str, Any], list[str]]:
    """Verify a ledger over the auditor API: (report, latest checkpoint JSON, notes)."""
    notes: list[str] = []
    base = base.rstrip("/")
    latest = _get(client, f"{base}/ledger/checkpoint")
    origin = origin or latest.get("origin")
    if public_key is None:
        public_key = _get(client, f"{base}/ledger/public-key").get("verifier_key")
        notes.append(
            "warning: the checkpoint was checked with the key the server itself serves; pass "
            "--public-key with a key obtained out of band to detect a replaced key"
        )
    report = verify_entries(
        remote_entries(client, base),
        checkpoint=latest.get("checkpoint"),
        earlier_checkpoints=earlier,
        public_key=public_key,
        origin=origin,
    )
    findings: list[Finding] = []
    if report.ok and origin:
        try:
            head = parse_and_verify_checkpoint(latest["checkpoint"], origin, public_key)
            for i, text in enumerate(earlier):
                old = parse_and_verify_checkpoint(text, origin, public_key)
                if not 0 < old.size <= head.size:
                    continue
                proof = _get(
                    client, f"{base}/ledger/proof/consistency", first=old.size, second=head.size
                )
                path = [bytes.fromhex(h) for h in proof.get("consistency", [])]
                verify_consistency(old.size, head.size, path, old.root_hash, head.root_hash)
                notes.append(f"consistency proof earlier[{i}] ({old.size}) → {head.size}: OK")
        except (CheckpointError, ProofError, ValueError, KeyError) as exc:
            findings.append(Finding(None, f"the server's consistency proof does not verify: {exc}"))
    return merge(report, findings), latest, notes
