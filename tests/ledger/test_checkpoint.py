"""ledger.checkpoint: signed-note checkpoints, keys and the checkpoint policy."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_note,
    parse_and_verify_checkpoint,
    should_checkpoint,
    sign_checkpoint,
    sign_note,
)
from ledger.merkle_reference import MemoryTree
from ledger.signing_keys import (
    generate_key,
    key_id,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    public_key_raw,
    verifier_key,
)

# Test literals from golang.org/x/mod sumdb/note/note_test.go (BSD-3-Clause): Go's own
# signer/verifier keys and the exact signed note Go produces with them.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUg"
    "YN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
GO_ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1"
    "aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

ORIGIN = "maestro.example.com/ledger"


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return generate_key()


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    t = MemoryTree()
    for i in range(37):
        t.append_data(f"entry {i}".encode())
    return t


def test_go_interop_signing_is_byte_identical() -> None:
    signer = load_private_key(GO_SKEY)
    assert verifier_key("PeterNeumann", signer) == GO_VKEY
    assert key_id("PeterNeumann", signer).hex() == "c74f20a3"
    assert sign_note(GO_TEXT, signer, "PeterNeumann") == GO_TEXT + "\n" + GO_PETER_SIG


def test_go_interop_open_with_several_signatures() -> None:
    msg = GO_TEXT + "\n" + GO_PETER_SIG + GO_ENOCH_SIG
    assert open_note(msg, "PeterNeumann", load_public_key(GO_VKEY)) == GO_TEXT
    assert open_note(msg, "EnochRoot", load_public_key(GO_ENOCH_VKEY)) == GO_TEXT
    # A corrupted signature by the known key is rejected.
    bad = GO_TEXT + "\n" + GO_PETER_SIG[:60] + "ABCD" + GO_PETER_SIG[60:]
    with pytest.raises(CheckpointError, match="invalid signature"):
        open_note(bad, "PeterNeumann", load_public_key(GO_VKEY))


@pytest.mark.parametrize(
    "msg",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + GO_PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + GO_PETER_SIG,
        GO_TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF=\n",
        GO_TEXT + "\n" + GO_PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + GO_PETER_SIG * 101,
    ],
)
def test_go_malformed_notes(msg: str) -> None:
    with pytest.raises(CheckpointError):
        open_note(msg, "PeterNeumann", load_public_key(GO_VKEY))


def test_invalid_utf8_note() -> None:
    msg = b"\xff" + (GO_TEXT + "\n" + GO_PETER_SIG).encode()
    with pytest.raises(CheckpointError, match="UTF-8"):
        open_note(msg, "PeterNeumann", load_public_key(GO_VKEY))


def test_checkpoint_format(key: Ed25519PrivateKey, tree: MemoryTree) -> None:
    root = tree.root()
    text = sign_checkpoint(ORIGIN, tree.size, root, key)
    body, _, sig = text.partition("\n\n")
    assert body.split("\n") == [ORIGIN, "37", base64.b64encode(root).decode()]
    assert sig.startswith(f"— {ORIGIN} ") and sig.endswith("\n") and sig.count("\n") == 1
    blob = base64.b64decode(sig.split(" ")[2])
    assert len(blob) == 4 + 64
    want_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public_key_raw(key)).digest()[:4]
    assert blob[:4] == want_id
    key.public_key().verify(blob[4:], (body + "\n").encode())


def test_round_trip_with_every_public_key_form(key: Ed25519PrivateKey, tree: MemoryTree) -> None:
    text = sign_checkpoint(ORIGIN, tree.size, tree.root(), key, extensions=["ts 1700000000"])
    want = Checkpoint(ORIGIN, 37, tree.root(), ("ts 1700000000",))
    forms: list[Ed25519PublicKey | str | bytes] = [
        key.public_key(),
        public_key_pem(key),
        public_key_pem(key).decode(),
        base64.b64encode(public_key_raw(key)).decode(),
        verifier_key(ORIGIN, key),
    ]
    for form in forms:
        assert parse_and_verify_checkpoint(text, ORIGIN, form) == want
    assert parse_and_verify_checkpoint(text.encode(), ORIGIN, key.public_key()) == want
    assert want.body() + "\n" == text[: len(want.body()) + 1]
    assert want.root_hex == tree.root().hex()


def test_empty_tree_checkpoint(key: Ed25519PrivateKey) -> None:
    text = sign_checkpoint(ORIGIN, 0, MemoryTree().root(), key)
    cp = parse_and_verify_checkpoint(text, ORIGIN, key.public_key())
    assert cp.size == 0 and cp.root_hash == hashlib.sha256(b"").digest()


def test_custom_key_name(key: Ed25519PrivateKey) -> None:
    text = sign_checkpoint(ORIGIN, 1, bytes(32), key, name="maestro-ledger-2026")
    with pytest.raises(CheckpointError, match="no signature by key"):
        parse_and_verify_checkpoint(text, ORIGIN, key.public_key())
    cp = parse_and_verify_checkpoint(text, ORIGIN, key.public_key(), name="maestro-ledger-2026")
    assert cp.size == 1
    with pytest.raises(CheckpointError, match="verifier key is for"):
        parse_and_verify_checkpoint(text, ORIGIN, verifier_key("other", key))


def test_wrong_key_is_rejected(key: Ed25519PrivateKey, tree: MemoryTree) -> None:
    text = sign_checkpoint(ORIGIN, tree.size, tree.root(), key)
    with pytest.raises(CheckpointError, match="different key"):
        parse_and_verify_checkpoint(text, ORIGIN, generate_key().public_key())


def test_wrong_origin_is_rejected(key: Ed25519PrivateKey, tree: MemoryTree) -> None:
    text = sign_checkpoint(ORIGIN, tree.size, tree.root(), key)
    with pytest.raises(CheckpointError, match=r"expected 'other\.example/log'"):
        parse_and_verify_checkpoint(text, "other.example/log", key.public_key(), name=ORIGIN)
    other = sign_checkpoint("other.example/log", 1, bytes(32), key, name=ORIGIN)
    with pytest.raises(CheckpointError, match=r"origin is 'other\.example/log'"):
        parse_and_verify_checkpoint(other, ORIGIN, key.public_key())


def test_every_tampered_character_is_rejected(key: Ed25519PrivateKey, tree: MemoryTree) -> None:
    text = sign_checkpoint(ORIGIN, tree.size, tree.root(), key)
    body_len = text.index("\n\n") + 1
    for i in range(len(text)):
        ch = text[i]
        replacement = "A" if ch != "A" else "B"
        if ch == "\n":
            replacement = "x"
        tampered = text[:i] + replacement + text[i + 1 :]
        with pytest.raises(CheckpointError):
            parse_and_verify_checkpoint(tampered, ORIGIN, key.public_key())
    assert body_len < len(text)
    # Changing the size or the root in place is the attack that matters most.
    for old, new in [("\n37\n", "\n38\n"), ("\n37\n", "\n037\n")]:
        with pytest.raises(CheckpointError, match="invalid signature"):
            parse_and_verify_checkpoint(text.replace(old, new, 1), ORIGIN, key.public_key())


def test_non_canonical_base64_is_rejected(key: Ed25519PrivateKey) -> None:
    text = sign_checkpoint(ORIGIN, 5, bytes(32), key)
    # 68 signature bytes = 92 base64 chars ending in one '='; the last data character
    # carries 2 unused bits.  Setting them gives the same bytes in a lenient decoder.
    body, _, line = text.rpartition("\n\n")
    b64 = line.rstrip("\n").split(" ")[2]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(b64[-2])
    sloppy = b64[:-2] + alphabet[last | 0b11] + "="
    assert sloppy != b64 and base64.b64decode(sloppy) == base64.b64decode(b64)
    with pytest.raises(CheckpointError, match="canonical base64"):
        parse_and_verify_checkpoint(text.replace(b64, sloppy), ORIGIN, key.public_key())
    root_b64 = base64.b64encode(bytes(32)).decode()  # "AAAA...A="
    sloppy_root = root_b64[:-2] + "B="
    with pytest.raises(CheckpointError):
        parse_and_verify_checkpoint(text.replace(root_b64, sloppy_root), ORIGIN, key.public_key())
    signed_sloppy = sign_note(body.replace(root_b64, sloppy_root) + "\n", key, ORIGIN)
    with pytest.raises(CheckpointError, match="canonical base64"):
        parse_and_verify_checkpoint(signed_sloppy, ORIGIN, key.public_key())


def test_unknown_signatures_are_ignored(key: Ed25519PrivateKey, tree: MemoryTree) -> None:
    text = sign_checkpoint(ORIGIN, tree.size, tree.root(), key)
    witness = sign_note(text[: text.index("\n\n") + 1], generate_key(), "witness.example/w1")
    witness_line = witness[witness.index("\n\n") + 2 :]
    assert parse_and_verify_checkpoint(text + witness_line, ORIGIN, key.public_key()).size == 37
    # A signature under our name but with another key id is ignored if ours verifies.
    impostor = sign_note(text[: text.index("\n\n") + 1], generate_key(), ORIGIN)
    impostor_line = impostor[impostor.index("\n\n") + 2 :]
    assert parse_and_verify_checkpoint(text + impostor_line, ORIGIN, key.public_key()).size == 37
    # ... but never counts as ours.
    with pytest.raises(CheckpointError, match="different key"):
        parse_and_verify_checkpoint(impostor, ORIGIN, key.public_key())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{ORIGIN}\n37\n", "origin, size and root"),
        (f"{ORIGIN}\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n", "tree size"),
        (f"{ORIGIN}\n007\n" + base64.b64encode(bytes(32)).decode() + "\n", "tree size"),
        (f"{ORIGIN}\n7\n" + base64.b64encode(bytes(31)).decode() + "\n", "32 bytes"),
        (f"{ORIGIN}\n7\nnot base64!\n", "base64"),
        (f"{ORIGIN}\n{2**64}\n" + base64.b64encode(bytes(32)).decode() + "\n", "tree size"),
    ],
)
def test_signed_but_malformed_bodies(key: Ed25519PrivateKey, body: str, message: str) -> None:
    text = sign_note(body, key, ORIGIN)
    with pytest.raises(CheckpointError, match=message):
        parse_and_verify_checkpoint(text, ORIGIN, key.public_key())


def test_sign_argument_errors(key: Ed25519PrivateKey) -> None:
    with pytest.raises(CheckpointError, match="32 bytes"):
        sign_checkpoint(ORIGIN, 1, b"short", key)
    with pytest.raises(CheckpointError, match="tree size"):
        sign_checkpoint(ORIGIN, -1, bytes(32), key)
    with pytest.raises(CheckpointError, match="single line"):
        sign_checkpoint("a\nb", 1, bytes(32), key)
    with pytest.raises(CheckpointError, match="key name"):
        sign_checkpoint("has space/log", 1, bytes(32), key)
    with pytest.raises(CheckpointError, match="key name"):
        sign_checkpoint(ORIGIN, 1, bytes(32), key, name="a+b")
    with pytest.raises(CheckpointError, match="extension"):
        sign_checkpoint(ORIGIN, 1, bytes(32), key, extensions=[""])
    with pytest.raises(CheckpointError, match="newline"):
        sign_note("no newline", key, "n")


def test_private_key_forms(key: Ed25519PrivateKey) -> None:
    raw = public_key_raw(key)
    pem = private_key_pem(key)
    assert public_key_raw(load_private_key(pem)) == raw
    assert public_key_raw(load_private_key(pem.decode())) == raw
    seed = key.private_bytes_raw()
    assert public_key_raw(load_private_key(base64.b64encode(seed).decode())) == raw
    assert public_key_raw(load_private_key(base64.b64encode(seed + raw))) == raw
    with pytest.raises(CheckpointError, match="public half"):
        load_private_key(base64.b64encode(seed + bytes(32)))
    with pytest.raises(CheckpointError, match="32-byte seed"):
        load_private_key(base64.b64encode(b"too short"))
    with pytest.raises(CheckpointError, match="base64"):
        load_private_key("not base64 at all!")
    with pytest.raises(CheckpointError, match="key ID"):
        load_private_key(GO_SKEY.replace("c74f20a3", "c74f20a4"))
    ec_pem = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(CheckpointError, match="Ed25519"):
        load_private_key(ec_pem)


def test_public_key_errors() -> None:
    with pytest.raises(CheckpointError, match="32 bytes"):
        load_public_key(base64.b64encode(bytes(31)).decode())
    with pytest.raises(CheckpointError, match="key ID"):
        load_public_key(GO_VKEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(CheckpointError, match="PEM"):
        load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_size", "last_time", "size", "now", "secs", "entries", "want"),
    [
        (None, None, 0, T0, 60, 100, True),  # first checkpoint, even empty
        (10, T0, 10, T0 + timedelta(hours=1), 60, 100, False),  # no growth, never re-sign
        (10, T0, 11, T0 + timedelta(seconds=59), 60, 100, False),  # too soon, too few
        (10, T0, 11, T0 + timedelta(seconds=60), 60, 100, True),  # time trigger
        (10, T0, 110, T0 + timedelta(seconds=1), 60, 100, True),  # entry trigger
        (10, T0, 109, T0 + timedelta(seconds=1), 60, 100, False),
        (10, T0, 11, T0 + timedelta(days=9), None, 100, False),  # time trigger disabled
        (10, T0, 11, T0, 60, None, False),  # entry trigger disabled
        (10, T0, 11, T0, None, None, True),  # both disabled: every growth
        (10, None, 11, T0, 60, None, True),  # unknown last time
    ],
)
def test_should_checkpoint(
    last_size: int | None,
    last_time: datetime | None,
    size: int,
    now: datetime,
    secs: float | None,
    entries: int | None,
    want: bool,
) -> None:
    assert should_checkpoint(last_size, last_time, size, now, secs, entries) is want


def test_should_checkpoint_rejects_shrinking_log() -> None:
    with pytest.raises(ValueError, match="below"):
        should_checkpoint(10, T0, 9, T0, 60, 100)
