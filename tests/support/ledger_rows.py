"""Small ledgers as rows and entries for the verifier's tests, edits an attacker might make, and
the reference verdict (`check_entry` on every entry) that every fast path must reproduce."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from ledger.canonical import canonical_json
from ledger.entry import GENESIS_PREV_HASH, Entry, format_time
from ledger.entry_checks import STORED_FIELDS, BadEntry, check_entry
from ledger.merkle import hash_leaf
from ledger.walk import LogAccumulator

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def build(n: int) -> list[Entry]:
    out: list[Entry] = []
    prev = GENESIS_PREV_HASH
    for seq in range(n):
        fields = {
            "seq": seq,
            "time": format_time(T0 + timedelta(seconds=seq * 3601)),
            "actor": ["maestro", "octo-cat", 'q"\\é'][seq % 3],
            "installation_id": [42, None, 2**40][seq % 3],
            "repository": None if seq % 4 == 3 else "octo/repo",
            "kind": "checkrun.completed",
            "subject": None if seq % 5 == 4 else f"pr:octo/repo#{seq}",
        }
        payload = {"n": seq, "f": 2.5, "s": "✓\n", "l": [1, None, {"z": True}]}
        entry = Entry.create(prev, fields, payload)
        out.append(entry)
        prev = bytes.fromhex(entry.entry_hash)
    return out


def stored(entry: Entry) -> list[Any]:
    api = entry.to_api()
    row = [api[name] for name in STORED_FIELDS]
    row[STORED_FIELDS.index("payload")] = (
        None if entry.payload is None else canonical_json(entry.payload).decode()
    )
    return row


def reference(items: list[Any]) -> dict[str, Any]:
    """The verdict of `check_entry` alone."""
    acc, prev, purged, bad = LogAccumulator(), GENESIS_PREV_HASH, 0, None
    for index, item in enumerate(items):
        try:
            data, was_purged, prev = check_entry(item, index, prev)
        except BadEntry as exc:
            bad = (index, exc.problem, exc.message)
            break
        acc.append(hash_leaf(data))
        purged += was_purged
    return {"size": acc.size, "root": acc.root(), "head": prev, "purged": purged, "bad": bad}


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 2**70),
    st.sampled_from(
        [
            "",
            "2026-11-24T12:00:00Z",
            "2026-02-30T12:00:00.1Z",
            "2026-11-24t12:00:00Z",
            "0" * 64,
            "A" * 64,
            "\ud800",
            '{"n":1}',
            '{"n": 1}',
            '{"b":1,"a":2}',
            '{"a":NaN}',
            "[1]",
            '{"a":"\\u00e9"}',
            '{"a":"\\ud800"}',
            "{" * 300 + "}" * 300,
            "{oops",
        ]
    ),
    st.text(max_size=8),
    st.just({"n": 1}),
    st.just([1]),
)
EDITS = st.lists(
    st.tuples(st.integers(0, 11), st.sampled_from([*STORED_FIELDS, "purged"]), ODD_VALUES),
    max_size=3,
)


def apply_stored(rows: list[list[Any]], edits: list[tuple[int, str, Any]]) -> None:
    for index, name, value in edits:
        if name == "purged":
            rows[index][STORED_FIELDS.index("payload")] = None
        else:
            rows[index][STORED_FIELDS.index(name)] = value


def rehash_rows(rows: list[list[Any]]) -> None:
    """Recompute digests and chain hashes over the edited values, formatted the way the fast path
    formats a header (whatever their types): an attacker aiming at the fast path."""
    prev = GENESIS_PREV_HASH
    col = {name: i for i, name in enumerate(STORED_FIELDS)}
    for row in rows:
        text = row[col["payload"]]
        if isinstance(text, str):
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            row[col["payload_sha256"]] = digest

        def js(value: Any) -> str:
            return "null" if value is None else json.dumps(value, ensure_ascii=False)

        data = (
            f'{{"actor":{js(row[col["actor"]])},"installation_id":{js(row[col["installation_id"]])},'
            f'"kind":{js(row[col["kind"]])},"payload_sha256":"{row[col["payload_sha256"]]}",'
            f'"repository":{js(row[col["repository"]])},"seq":{row[col["seq"]]},'
            f'"subject":{js(row[col["subject"]])},"time":"{row[col["time"]]}"}}'
        ).encode("utf-8", "surrogatepass")
        entry = hashlib.sha256(prev + data).digest()
        row[col["prev_hash"]] = prev.hex()
        row[col["entry_hash"]] = entry.hex()
        prev = entry
