"""ledger.entry: header model, leaf data, leaf hash and chain hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger.canonical import CanonicalJSONError, canonical_json
from ledger.entry import (
    GENESIS_PREV_HASH,
    Entry,
    EntryHeader,
    _fast_header_fields,
    _fast_leaf_data,
    chain_hash,
    format_time,
    header_fields,
    leaf_data,
    leaf_hash,
    parse_time,
    payload_sha256,
)
from ledger.merkle import hash_leaf

PAYLOAD = {"delivery": "abc-123", "event": "pull_request", "action": "opened"}


def _header(**over: Any) -> EntryHeader:
    fields: dict[str, Any] = {
        "seq": 0,
        "time": "2026-11-24T21:40:00.123456Z",
        "actor": "maestro",
        "installation_id": 42,
        "repository": "octo/repo",
        "kind": "delivery.received",
        "subject": "pr:octo/repo#12",
        "payload_sha256": payload_sha256(PAYLOAD),
    }
    fields.update(over)
    return EntryHeader(**fields)


def test_payload_hash_is_sha256_of_canonical_json() -> None:
    want = hashlib.sha256(b'{"action":"opened","delivery":"abc-123","event":"pull_request"}')
    assert payload_sha256(PAYLOAD) == want.hexdigest()
    with pytest.raises(TypeError, match="JSON object"):
        payload_sha256([1, 2])  # type: ignore[arg-type]
    with pytest.raises(CanonicalJSONError):
        payload_sha256({"x": float("nan")})


def test_leaf_data_is_canonical_json_of_all_eight_fields() -> None:
    h = _header(installation_id=None, repository=None, subject=None)
    assert leaf_data(h) == (
        b'{"actor":"maestro","installation_id":null,"kind":"delivery.received",'
        b'"payload_sha256":"' + h.payload_sha256.encode() + b'","repository":null,"seq":0,'
        b'"subject":null,"time":"2026-11-24T21:40:00.123456Z"}'
    )


def test_leaf_and_chain_hash_definitions() -> None:
    h = _header()
    data = leaf_data(h)
    assert leaf_hash(h) == hashlib.sha256(b"\x00" + data).digest() == hash_leaf(data)
    assert chain_hash(GENESIS_PREV_HASH, h) == hashlib.sha256(bytes(32) + data).digest()
    assert bytes(32) == GENESIS_PREV_HASH
    with pytest.raises(ValueError, match="32 bytes"):
        chain_hash(b"\x00", h)


def test_every_header_field_is_committed() -> None:
    base = _header()
    changes: dict[str, Any] = {
        "seq": 1,
        "time": "2026-11-24T21:40:00.123457Z",
        "actor": "octocat",
        "installation_id": 43,
        "repository": "octo/other",
        "kind": "comment.posted",
        "subject": "pr:octo/repo#13",
        "payload_sha256": "0" * 64,
    }
    for name, value in changes.items():
        other = _header(**{name: value})
        assert leaf_hash(other) != leaf_hash(base), name
        assert chain_hash(GENESIS_PREV_HASH, other) != chain_hash(GENESIS_PREV_HASH, base)
    assert _header(installation_id=None) != base
    assert leaf_hash(_header(installation_id=None)) != leaf_hash(_header(installation_id=0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", -1),
        ("seq", "1"),
        ("seq", True),
        ("seq", 1.0),
        ("installation_id", "42"),
        ("actor", ""),
        ("kind", ""),
        ("payload_sha256", "AB" * 32),
        ("payload_sha256", "ab" * 31),
        ("time", "2026-11-24T21:40:00+00:00"),
        ("time", "2026-11-24 21:40:00Z"),
        ("time", "2026-11-24t21:40:00z"),
        ("time", "2026-13-01T00:00:00Z"),
        ("time", "2026-02-30T00:00:00Z"),
        ("time", "2026-11-24T21:40:60Z"),
        ("time", "2026-11-24T21:40:00.1234567890Z"),
    ],
)
def test_header_validation(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        _header(**{field: value})


def test_header_rejects_unknown_fields_and_is_frozen() -> None:
    with pytest.raises(ValidationError):
        _header(extra="x")
    h = _header()
    with pytest.raises(ValidationError):
        h.seq = 5


def test_time_helpers() -> None:
    moment = datetime(2026, 11, 24, 22, 40, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert format_time(moment) == "2026-11-24T21:40:00.000005Z"
    assert parse_time("2026-11-24T21:40:00.000005Z") == moment
    assert parse_time("2026-11-24T21:40:00Z") == datetime(2026, 11, 24, 21, 40, tzinfo=UTC)
    assert parse_time("2026-11-24T21:40:00.123456789Z").microsecond == 123456
    with pytest.raises(ValueError, match="timezone-aware"):
        format_time(datetime(2026, 1, 1))


def test_entry_create_purge_and_api_round_trip() -> None:
    fields = _header().fields()
    del fields["payload_sha256"]
    e0 = Entry.create(GENESIS_PREV_HASH, fields, PAYLOAD)
    assert e0.header.payload_sha256 == payload_sha256(PAYLOAD)
    assert e0.prev_hash == "00" * 32
    assert e0.entry_hash == chain_hash(GENESIS_PREV_HASH, e0.header).hex()
    e1 = Entry.create(bytes.fromhex(e0.entry_hash), {**fields, "seq": 1}, {"n": 1})
    assert e1.prev_hash == e0.entry_hash
    api = e1.to_api()
    assert api["purged"] is False and api["payload"] == {"n": 1}
    assert Entry.from_api(api) == e1
    purged = e1.purge()
    assert purged.purged and purged.payload is None
    assert purged.entry_hash == e1.entry_hash and purged.header == e1.header
    assert Entry.from_api(purged.to_api()) == purged
    with pytest.raises(ValueError, match="computed"):
        Entry.create(GENESIS_PREV_HASH, {**fields, "payload_sha256": "0" * 64}, PAYLOAD)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"purged": True}, "still carries a payload"),
        ({"payload": None}, "not marked purged"),
        ({"purged": "yes"}, "boolean"),
        ({"bogus": 1}, "unexpected entry fields: bogus"),
    ],
)
def test_from_api_rejects_inconsistent_shapes(change: dict[str, Any], message: str) -> None:
    fields = _header().fields()
    del fields["payload_sha256"]
    api = Entry.create(GENESIS_PREV_HASH, fields, PAYLOAD).to_api()
    api.update(change)
    with pytest.raises(ValueError, match=message):
        Entry.from_api(api)


_any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(
        [
            "2026-11-24T21:40:00Z",
            "2026-11-24T21:40:00.5Z",
            "2026-02-29T00:00:00Z",
            "2028-02-29T23:59:59.999999999Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T21:60:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-11-24T21:40:00.Z",
            "2026-11-24T21:40:00.1234567890Z",
            "2026-11-24T21:40:00+00:00",
            "2026-11-24T21:40:00z",
            "0000-01-01T00:00:00Z",
            "a" * 64,
            "A" * 64,
            "maestro",
            "",
        ]
    ),
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "seq": _any_value,
            "time": _any_value,
            "actor": _any_value,
            "installation_id": _any_value,
            "repository": _any_value,
            "kind": _any_value,
            "subject": _any_value,
            "payload_sha256": _any_value,
            "purged": _any_value,
        },
    )
)
def test_fast_header_fields_agree_with_the_model(data: dict[str, Any]) -> None:
    try:
        want: dict[str, Any] | None = EntryHeader.model_validate(
            {k: v for k, v in data.items() if k != "purged"}
        ).fields()
    except ValidationError:
        want = None
    try:
        got: dict[str, Any] | None = header_fields(data)
    except ValidationError:
        got = None
    assert got == want


def test_fast_header_fields_on_a_valid_row() -> None:
    h = _header()
    row = {**h.fields(), "payload": PAYLOAD, "prev_hash": "00" * 32}
    assert header_fields(row) == h.fields()
    assert list(header_fields(row)) == list(h.fields())


@given(
    seq=st.integers(0, 2**80),
    actor=st.text(min_size=1),
    inst=st.none() | st.integers(-(2**70), 2**70),
    repo=st.none() | st.text(),
    kind=st.text(min_size=1),
    subject=st.none() | st.text(),
    micros=st.integers(0, 10**15),
)
def test_fast_leaf_data_equals_canonical_json(
    seq: int,
    actor: str,
    inst: int | None,
    repo: str | None,
    kind: str,
    subject: str | None,
    micros: int,
) -> None:
    moment = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    row = {
        "seq": seq,
        "time": format_time(moment),
        "actor": actor,
        "installation_id": inst,
        "repository": repo,
        "kind": kind,
        "subject": subject,
        "payload_sha256": hashlib.sha256(actor.encode("utf-8", "surrogatepass")).hexdigest(),
    }
    fields = _fast_header_fields(row)
    assert fields is not None
    try:
        want: bytes | None = canonical_json(fields)
    except CanonicalJSONError:
        want = None
    try:
        got: bytes | None = _fast_leaf_data(fields)
    except UnicodeEncodeError:
        got = None
    assert got == want
    if want is not None:
        assert want == leaf_data(EntryHeader(**fields))
