"""Feature extraction for the ML filter: hashed, so the model is a plain weight vector.

Each candidate becomes a set of string features (the rule, the file type, a test/fixture
path flag, a lockfile flag, the assigned variable's name, entropy/length/charset bins, the
value's shape and prefix, a digest-context flag (`sha256:`, `h1:`, `integrity`…), character
n-grams of its left and right context, the line's words), hashed with
CRC32 into a fixed number of buckets. CRC32 is stable across processes and platforms, unlike
`hash()`, so training and scanning agree without storing a vocabulary.

Directory names are deliberately not features: the synthesised positives live under made-up
paths and the real negatives under `stdlib/` and `site-packages/`, so path words would teach
the model where the corpus came from rather than what a secret looks like.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

from checks.pii.filetypes import extension_of, is_test_path
from checks.pii.models import PiiType, family_of
from checks.pii.validators import charset_of, shannon_entropy

N_FEATURES = 1 << 18

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# The assigned name just before a value (`api_key = "`, `"token": `, `TOKEN=`), matched on the
# REVERSED left context: one anchored attempt instead of a search retried at every offset.
# Same answer as searching `([A-Za-z_$][\w.\-$]*)["'`\]]?\s*(?:=|:=|=>|:|==|,)\s*["'`(\[]?\s*$`.
_TARGET_REVERSED = re.compile(
    r"""\s*["'`(\[]?\s*(?:=|=:|>=|:|==|,)\s*["'`\]]?([\w.\-$]*?[A-Za-z_$])(?![\w.\-$]*[A-Za-z_$])"""
)
_HASH_CONTEXT = re.compile(
    r"(?:sha1|sha224|sha256|sha384|sha512|md5|h1|blake2b?|checksum|integrity|hash|digest|etag"
    r"|revision|rev|commit|oid|sha|before|after|head|base|parent|tree|ref)[\"'`]?\s*[:=@-]?\s*[\"'`]?$",
    re.IGNORECASE,
)
RANDOM_VALUE_RULES = frozenset(
    {
        "high_entropy", "secret_assignment", "aws_secret_access_key", "aws_access_key_id",
        "github_token", "slack_token", "slack_webhook", "stripe_key", "google_api_key", "jwt",
        "private_key_pem",
    }
)  # fmt: skip
_STRUCT_PREFIX = re.compile(r"[A-Za-z0-9]{1,12}[-_:]")
_LOWER_HEX = frozenset("0123456789abcdef")
_UPPER_HEX = frozenset("0123456789ABCDEF")
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_HEX_DIGEST_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
LOCKFILE_NAMES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
        "pipfile.lock", "uv.lock", "pdm.lock", "cargo.lock", "go.sum", "composer.lock",
        "gemfile.lock", "packages.lock.json", "requirements.txt", "requirements-main.txt",
    }
)  # fmt: skip
_SHAPE = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "A" * 26 + "a" * 26 + "9" * 10,
)


def target_name(left: str) -> str | None:
    """The variable a value is assigned to, from the text left of the value."""
    m = _TARGET_REVERSED.match(left[::-1])
    return m.group(1)[::-1] if m else None


@lru_cache(maxsize=4096)
def _file_facts(path: str) -> tuple[str, str, bool]:
    """(extension, test-path flag, lockfile flag) of a path."""
    name = path.rsplit("/", 1)[-1].lower()
    lockfile = name in LOCKFILE_NAMES or name.endswith((".lock", ".sum")) or name == "record"
    return extension_of(path) or "none", "1" if is_test_path(path) else "0", lockfile


@lru_cache(maxsize=4096)
def _path_features(path: str, rule: str) -> tuple[str, ...]:
    """The features that depend only on the file and the rule (most candidates share them)."""
    ext, test, lockfile = _file_facts(path)
    feats = ["bias", f"r:{rule}", f"ext:{ext}", f"r|ext:{rule}|{ext}", f"test:{test}",
             f"r|test:{rule}|{test}"]  # fmt: skip
    if lockfile:
        feats += ["lockfile", f"r|lockfile:{rule}"]
    return tuple(feats)


def _words(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for w in _WORD.findall(text):
        # Only a mixed-case word can hold a lower-to-upper (camelCase) boundary to split at.
        parts = [w] if w.islower() or w.isupper() else _CAMEL.sub("_", w).split("_")
        for part in parts:
            if len(part) > 1:
                out.append(part[:16].lower())
                if len(out) >= limit:
                    return out
    return out


def _ngrams(text: str, sizes: tuple[int, ...]) -> list[str]:
    return [text[i : i + n] for n in sizes for i in range(max(0, len(text) - n + 1))]


def _fine_charset(value: str) -> str:
    chars = set(value)
    if chars <= _LOWER_HEX or chars <= _UPPER_HEX:
        return "hex"
    if chars <= _ALNUM:
        return (
            "alnum-mixed"
            if any(c.isupper() for c in chars) and any(c.islower() for c in chars)
            else "alnum"
        )
    if "+" in chars or "/" in chars:
        return "b64sym"
    return "other"


def _bucket(x: float, edges: tuple[float, ...]) -> int:
    for i, e in enumerate(edges):
        if x < e:
            return i
    return len(edges)


def feature_strings(value: str, line: str, col_start: int, col_end: int, path: str,
                    rule: str, kind: PiiType) -> list[str]:  # fmt: skip
    """The named features of one candidate (before hashing); exposed for tests and debugging."""
    fam = family_of(kind).value
    ext = _file_facts(path)[0]
    core = value[:200]
    feats = list(_path_features(path, rule))
    left = line[max(0, col_start - 48) : col_start]
    right = line[col_end : col_end + 32]
    target = target_name(left)
    quoted = col_start > 0 and col_end < len(line) and line[col_start - 1] == line[col_end]
    feats += [
        f"shape:{rule}|{ext}|{'var' if target else 'novar'}|{'lit' if quoted else 'bare'}",
        f"fcs:{rule}|{_fine_charset(core)}",
    ]
    if target:
        for tok in _words(target, 6):
            feats.append(f"var:{tok}")
            feats.append(f"r|var:{rule}|{tok}")
    else:
        feats.append(f"r|novar:{rule}")
    ent = shannon_entropy(core)
    cs = charset_of(core)
    n = len(value)
    digits = sum(map(str.isdigit, core)) / max(1, len(core))
    upper = sum(map(str.isupper, core)) / max(1, len(core))
    feats += [
        f"ent:{rule}:{_bucket(ent, (2.0, 2.5, 3.0, 3.3, 3.6, 3.9, 4.2, 4.5, 4.8, 5.1))}",
        f"len:{rule}:{_bucket(n, (8, 12, 16, 20, 24, 32, 40, 48, 64, 90, 128))}",
        f"cs:{rule}:{cs}",
        f"dig:{rule}:{_bucket(digits, (0.05, 0.2, 0.4, 0.6, 0.8, 0.99))}",
        f"up:{rule}:{_bucket(upper, (0.05, 0.2, 0.4, 0.6, 0.95))}",
    ]
    if rule in RANDOM_VALUE_RULES:
        # The characters of a random token are noise (a hash and a key are both uniform);
        # only a structural prefix such as `sha512-` or `v1_` says something.
        pm = _STRUCT_PREFIX.match(core)
        feats.append(f"pfx:{pm.group(0).lower() if pm else '-'}")
    else:
        shape = core[:32].translate(_SHAPE)
        feats += [f"sh:{g}" for g in _ngrams(shape, (3, 5))]
        feats += [f"pre:{core[:k]}" for k in (2, 3, 4, 6, 8) if len(core) > k]
    if _HASH_CONTEXT.search(left[-24:]):
        feats += ["hashctx", f"r|hashctx:{rule}"]
    if cs == "hex" and n in _HEX_DIGEST_LENGTHS:
        feats.append(f"hexdigest:{n}")
    low_left = left.lower()
    low_right = right.lower()
    feats += [f"L:{g}" for g in _ngrams(low_left[-24:], (2, 3, 4))]
    feats += [f"R:{g}" for g in _ngrams(low_right[:16], (2, 3))]
    for tok in _words(left, 12):
        feats.append(f"lw:{tok}")
        feats.append(f"f|lw:{fam}|{tok}")
    for tok in _words(right, 6):
        feats.append(f"rw:{tok}")
    for tok in _words(line[:400], 30):
        feats.append(f"w:{tok}")
    return feats


_CRC: dict[str, int] = {}  # feature -> CRC32: most features recur across candidates
_CRC_MAX = 100_000  # emptied when full, so it follows what is being scanned (~10 MB at most)


def _crc(feature: str) -> int:
    h = zlib.crc32(feature.encode("utf-8", "surrogatepass"))
    if len(_CRC) >= _CRC_MAX:
        _CRC.clear()
    _CRC[feature] = h
    return h


def hash_features(feats: list[str], n_features: int = N_FEATURES) -> list[int]:
    """Distinct bucket indexes of the features (binary presence)."""
    mask = n_features - 1
    get = _CRC.get
    return sorted({(h if (h := get(f)) is not None else _crc(f)) & mask for f in feats})
