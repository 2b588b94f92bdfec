"""Digests written in a digest notation are hashes, not secrets.

`sha256:<hex>` (pip `--hash`, poetry.lock), `h1:<base64>=` (go.sum), SRI `sha512-<base64>`
(package-lock `integrity`, yarn), `checksum = "<hex>"` (Cargo.lock), `content-hash = "<hex>"`
(poetry.lock): when the value has exactly the length its algorithm produces, it is a hash,
never a credential. Likewise a git object id (40 or 64 lowercase hex digits) under a key that
names one (`"sha"`, `"before"`, `"head_sha"`, `commit_id` … as in webhook payloads and API
responses). Lockfiles hold thousands of them; recognising the notation keeps them out of the
candidates (and out of the model's way).
"""

from __future__ import annotations

import re

_DIGEST_BYTES = {
    "md5": 16, "sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64, "h1": 32,
    "blake2b": 64, "blake2s": 32,
}  # fmt: skip
_ALL_DIGEST_BYTES = tuple(sorted(set(_DIGEST_BYTES.values())))
_DIGEST_LABEL = re.compile(
    r"(?<![a-z0-9])(md5|sha1|sha224|sha256|sha384|sha512|h1|blake2[bs])[:=]\Z"
)
_SRI = re.compile(r"(sha1|sha256|sha384|sha512)-")
_DIGEST_KEY = re.compile(
    r"(?:checksum|integrity|shasum|sha\d*sum|digest|(?<![a-z0-9_])(?:content[-_])?hash)"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?\Z"
)
_GIT_KEY = re.compile(
    r"(?<![a-z0-9_])[\"']?(?:id|sha|oid|before|after|commit|commit_id|commit_sha|head_sha|base_sha"
    r"|merge_commit_sha|tree_id|tree_sha|parent|parent_sha|rev|revision|object_sha|head_commit)"
    r"[\"']?[ \t]*[:=][ \t]*[\"']?\Z"
)
_LOWER_HEX_CHARS = frozenset("0123456789abcdef")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")


def _digest_shaped(body: str, nbytes: tuple[int, ...]) -> bool:
    """Hex or base64 (padding optional) of exactly one of the digest sizes `nbytes`."""
    core = body.rstrip("=")
    chars = set(core)
    if chars <= _HEX_CHARS and len(core) in {2 * n for n in nbytes}:
        return True
    return chars <= _B64_CHARS and len(core) in {(4 * n + 2) // 3 for n in nbytes}


def labelled_digest(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a digest written in a digest notation (see the module)."""
    before = text[start - 1] if start > 0 else ""
    if text.startswith("sha", start):
        sri = _SRI.match(text, start, end)
        if sri is not None:
            return _digest_shaped(text[sri.end() : end], (_DIGEST_BYTES[sri.group(1)],))
    if before not in (":", "=", '"', "'", " ", "\t"):
        return False
    left = text[max(0, start - 24) : start].lower()
    label = _DIGEST_LABEL.search(left[-9:]) if before in (":", "=") else None
    if label is not None:
        return _digest_shaped(text[start:end], (_DIGEST_BYTES[label.group(1)],))
    if _DIGEST_KEY.search(left):
        return _digest_shaped(text[start:end], _ALL_DIGEST_BYTES)
    if end - start in (40, 64) and _GIT_KEY.search(left):
        return set(text[start:end]) <= _LOWER_HEX_CHARS
    return False
