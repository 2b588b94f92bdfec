"""Ledger entries: the header model, the leaf data and the two hashes built on it.

An entry is split in two parts:

* the **header** (:class:`EntryHeader`): ``seq``, ``time``, ``actor``,
  ``installation_id``, ``repository``, ``kind``, ``subject`` and
  ``payload_sha256``;
* the **payload**: any JSON object, stored separately and committed to only
  through ``payload_sha256 = hex(SHA-256(canonical_json(payload)))``.

Everything that is hashed is derived from the header only, so a payload can be
purged after its retention period without changing any hash, chain link or
Merkle proof; a purged payload still shows its ``payload_sha256``.

Definitions (``||`` is concatenation, all hashes SHA-256)::

    leaf_data(h)        = canonical_json({all 8 header fields})   # None -> null, never omitted
    leaf_hash(h)        = SHA-256(0x00 || leaf_data(h))          # RFC 6962 Merkle leaf
    chain_hash(prev, h) = SHA-256(prev || leaf_data(h))          # hash chain link
    entry_hash(seq 0)   = chain_hash(GENESIS_PREV_HASH, h0)       # 32 zero bytes
    entry_hash(seq n)   = chain_hash(entry_hash(seq n-1), hn)

``prev_hash`` of entry ``n`` is the ``entry_hash`` of entry ``n-1`` (or
``GENESIS_PREV_HASH`` for ``n = 0``).  Hashes are exchanged as lowercase hex.

Everything in this module is pure (no I/O, no clock reads).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from json.encoder import encode_basestring as _q
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from ledger.canonical import canonical_json

__all__ = [
    "GENESIS_PREV_HASH",
    "HEADER_FIELDS",
    "Entry",
    "EntryHeader",
    "chain_hash",
    "format_time",
    "header_fields",
    "leaf_data",
    "leaf_hash",
    "parse_time",
    "payload_sha256",
]

GENESIS_PREV_HASH: bytes = bytes(32)
"""``prev_hash`` of entry 0: 32 zero bytes."""

HEADER_FIELDS: tuple[str, ...] = (
    "seq",
    "time",
    "actor",
    "installation_id",
    "repository",
    "kind",
    "subject",
    "payload_sha256",
)
"""The header fields, all of which are always present in the leaf data."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z",
)


def parse_time(value: str) -> datetime:
    """Parse a ledger timestamp (RFC 3339, UTC, upper-case ``T`` and ``Z``).

    Accepted form: ``YYYY-MM-DDTHH:MM:SS[.F{1,9}]Z``.  Offsets other than
    ``Z``, lower-case ``t``/``z``, spaces and leap seconds are rejected.
    Digits beyond microseconds are checked but dropped from the result.
    """
    m = _TIME.fullmatch(value)
    if m is None:
        raise ValueError(
            f"time {value!r} is not RFC 3339 UTC of the form YYYY-MM-DDTHH:MM:SS[.fraction]Z"
        )
    year, month, day, hour, minute, second, frac = m.groups()
    micro = int((frac or "0").ljust(6, "0")[:6])
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC
        )
    except ValueError as exc:
        raise ValueError(f"time {value!r} is not a valid date/time: {exc}") from exc


def format_time(moment: datetime) -> str:
    """Format an aware datetime as the ledger's canonical timestamp.

    The result is UTC with microsecond precision, e.g.
    ``2026-11-24T21:40:00.123456Z``.  Naive datetimes are rejected, because
    their time zone is a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("format_time needs a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_hex32(value: str, what: str) -> str:
    if not isinstance(value, str) or _HEX64.fullmatch(value) is None:
        raise ValueError(f"{what} must be 64 lowercase hex characters (a SHA-256), got {value!r}")
    return value


class EntryHeader(BaseModel):
    """The hashed part of a ledger entry (see the module docstring).

    All fields are strict: ``seq`` and ``installation_id`` must be real
    integers (not strings or booleans), text fields real strings.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    seq: Annotated[StrictInt, Field(ge=0)]
    """0-based position in the log; gap-free."""
    time: StrictStr
    """RFC 3339 UTC timestamp ending in ``Z`` (see :func:`format_time`)."""
    actor: Annotated[StrictStr, Field(min_length=1)]
    """GitHub login, or ``maestro`` for the app itself."""
    installation_id: StrictInt | None = None
    repository: StrictStr | None = None
    """``owner/name``, when the action concerns one repository."""
    kind: Annotated[StrictStr, Field(min_length=1)]
    """Action kind, e.g. ``delivery.received``, ``checkrun.completed``."""
    subject: StrictStr | None = None
    """What the action is about, e.g. ``pr:owner/repo#12``."""
    payload_sha256: StrictStr
    """Lowercase hex SHA-256 of ``canonical_json(payload)``."""

    @field_validator("time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        parse_time(value)
        return value

    @field_validator("payload_sha256")
    @classmethod
    def _valid_payload_hash(cls, value: str) -> str:
        return _check_hex32(value, "payload_sha256")

    def fields(self) -> dict[str, Any]:
        """The header as a plain dict with all 8 fields (``None`` kept)."""
        return {name: getattr(self, name) for name in HEADER_FIELDS}


# Same grammar as _TIME, with the field ranges in the pattern; group 1 is the date.
_TIME_FAST = re.compile(
    r"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))"
    r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z"
)


@functools.lru_cache(maxsize=4096)
def _valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _fast_header_fields(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The 8 header fields if they are valid *and* of exact plain types, else ``None``."""
    get = data.get
    seq = get("seq")
    time = get("time")
    actor = get("actor")
    inst = get("installation_id")
    repo = get("repository")
    kind = get("kind")
    subject = get("subject")
    digest = get("payload_sha256")
    if (
        type(seq) is int
        and seq >= 0
        and type(time) is str
        and (m := _TIME_FAST.fullmatch(time)) is not None
        and _valid_date(m[1])
        and type(actor) is str
        and actor
        and (inst is None or type(inst) is int)
        and (repo is None or type(repo) is str)
        and type(kind) is str
        and kind
        and (subject is None or type(subject) is str)
        and type(digest) is str
        and _HEX64.fullmatch(digest) is not None
    ):
        return {
            "seq": seq,
            "time": time,
            "actor": actor,
            "installation_id": inst,
            "repository": repo,
            "kind": kind,
            "subject": subject,
            "payload_sha256": digest,
        }
    return None


def header_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The 8 header fields of ``data`` (e.g. an API or database row), validated.

    Equivalent to ``EntryHeader.model_validate(...).fields()`` but several
    times faster for well-formed plain data, which is what bulk verification
    and the database side see.  Keys other than the header fields are
    ignored.  Raises pydantic's ``ValidationError`` for invalid data.
    """
    fast = _fast_header_fields(data)
    if fast is not None:
        return fast
    return EntryHeader.model_validate({k: data[k] for k in HEADER_FIELDS if k in data}).fields()


def _fast_leaf_data(fields: Mapping[str, Any]) -> bytes:
    """``canonical_json(fields)`` for fields returned by :func:`_fast_header_fields`.

    Spelled out in the canonical key order (about 4x faster); ``time`` and
    ``payload_sha256`` are validated to need no escaping.  May raise
    ``UnicodeEncodeError`` for strings with lone surrogates.
    """
    inst, repo, subject = fields["installation_id"], fields["repository"], fields["subject"]
    return (
        f'{{"actor":{_q(fields["actor"])},'
        f'"installation_id":{"null" if inst is None else int.__repr__(inst)},'
        f'"kind":{_q(fields["kind"])},'
        f'"payload_sha256":"{fields["payload_sha256"]}",'
        f'"repository":{"null" if repo is None else _q(repo)},'
        f'"seq":{int.__repr__(fields["seq"])},'
        f'"subject":{"null" if subject is None else _q(subject)},'
        f'"time":"{fields["time"]}"}}'
    ).encode()


def payload_sha256(payload: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of ``canonical_json(payload)``; ``payload`` must be a JSON object."""
    if not isinstance(payload, Mapping):
        raise TypeError(
            f"a ledger payload must be a JSON object (dict), not {type(payload).__name__}"
        )
    return hashlib.sha256(canonical_json(dict(payload))).hexdigest()


def leaf_data(header: EntryHeader) -> bytes:
    """The Merkle leaf data of an entry: the canonical JSON of its 8 header fields."""
    return canonical_json(header.fields())


def leaf_hash(header: EntryHeader) -> bytes:
    """RFC 6962 leaf hash of the entry: ``SHA-256(0x00 || leaf_data(header))``."""
    return hashlib.sha256(b"\x00" + leaf_data(header)).digest()


def chain_hash(prev_hash: bytes, header: EntryHeader) -> bytes:
    """Hash-chain link: ``SHA-256(prev_hash || leaf_data(header))``; this is the ``entry_hash``."""
    if len(prev_hash) != 32:
        raise ValueError(f"prev_hash must be 32 bytes, got {len(prev_hash)}")
    return hashlib.sha256(prev_hash + leaf_data(header)).digest()


class Entry(BaseModel):
    """A complete ledger entry as stored and as served to auditors.

    ``payload`` is ``None`` once purged; the header keeps its
    ``payload_sha256`` so every hash still verifies.  Use :meth:`to_api` /
    :meth:`from_api` for the flat JSON shape of the auditor API (documented in
    ``docs/ledger.md``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    header: EntryHeader
    payload: dict[str, Any] | None
    prev_hash: str
    entry_hash: str

    @field_validator("prev_hash", "entry_hash")
    @classmethod
    def _valid_hex(cls, value: str) -> str:
        return _check_hex32(value, "hash")

    @property
    def purged(self) -> bool:
        return self.payload is None

    @property
    def seq(self) -> int:
        return self.header.seq

    @classmethod
    def create(
        cls, prev_hash: bytes, header_fields: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> Entry:
        """Build the next entry: fills ``payload_sha256``, ``prev_hash`` and ``entry_hash``.

        ``header_fields`` holds every header field except ``payload_sha256``.
        """
        fields = dict(header_fields)
        if "payload_sha256" in fields:
            raise ValueError("payload_sha256 is computed from the payload; do not pass it")
        plain = dict(payload)
        fields["payload_sha256"] = payload_sha256(plain)
        header = EntryHeader.model_validate(fields)
        return cls(
            header=header,
            payload=plain,
            prev_hash=prev_hash.hex(),
            entry_hash=chain_hash(prev_hash, header).hex(),
        )

    def purge(self) -> Entry:
        """A copy of this entry with the payload removed (all hashes unchanged)."""
        return self.model_copy(update={"payload": None})

    def to_api(self) -> dict[str, Any]:
        """Flat JSON shape used by the auditor API and :mod:`ledger.verify` (a deep copy)."""
        out = self.header.fields()
        out["payload"] = copy.deepcopy(self.payload)
        out["purged"] = self.payload is None
        out["prev_hash"] = self.prev_hash
        out["entry_hash"] = self.entry_hash
        return out

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Entry:
        """Parse the flat auditor-API shape (the inverse of :meth:`to_api`).

        ``purged: true`` requires ``payload`` to be absent or null.
        """
        known = {*HEADER_FIELDS, "payload", "purged", "prev_hash", "entry_hash"}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unexpected entry fields: {', '.join(extra)}")
        purged = data.get("purged", False)
        payload = data.get("payload")
        if not isinstance(purged, bool):
            raise ValueError("purged must be a boolean")
        if purged and payload is not None:
            raise ValueError("entry is marked purged but still carries a payload")
        if not purged and payload is None:
            raise ValueError("entry has no payload but is not marked purged")
        header = EntryHeader.model_validate({k: data[k] for k in HEADER_FIELDS if k in data})
        return cls(
            header=header,
            payload=payload,
            prev_hash=data.get("prev_hash"),  # type: ignore[arg-type]
            entry_hash=data.get("entry_hash"),  # type: ignore[arg-type]
        )
