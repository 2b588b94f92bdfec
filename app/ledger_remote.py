"""Verifies a ledger over the auditor API: every entry through the pure verifier, then the
server's consistency proofs from the auditor's earlier checkpoints to its latest one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from app.ledger_verify import Finding, merge
from ledger.checkpoint import CheckpointError, parse_and_verify_checkpoint
from ledger.merkle import ProofError
from ledger.merkle_verify import verify_consistency
from ledger.verify import VerifyReport, verify_entries


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
