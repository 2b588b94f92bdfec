"""Validators that turn a regex match into a candidate: checksums, range rules, entropy.

Each function takes the matched text and answers whether it can be the thing the regex
was looking for. They are cheap and exact, which is what keeps the regex stage honest:
a Luhn-invalid "card" or a documentation-range IP never reaches the model.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
from collections import Counter

_NON_DIGIT = re.compile(r"\D")


def digits_of(text: str) -> str:
    return _NON_DIGIT.sub("", text)


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) checksum used by payment card numbers."""
    digits = digits_of(number)
    if not digits:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# Issuer prefixes (IIN ranges) and lengths of the major card networks.
_CARD_NETWORKS: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = (
    (re.compile(r"4"), frozenset({13, 16, 19})),  # Visa
    (re.compile(r"5[1-5]|2(?:2[2-9][1-9]|[3-6]\d\d|7[01]\d|720)"), frozenset({16})),  # Mastercard
    (re.compile(r"3[47]"), frozenset({15})),  # American Express
    (re.compile(r"6(?:011|5|4[4-9])"), frozenset({16, 19})),  # Discover
    (re.compile(r"35(?:2[89]|[3-8]\d)"), frozenset({16, 19})),  # JCB
    (re.compile(r"3(?:0[0-5]|[68])"), frozenset({14, 16})),  # Diners Club
)


def card_valid(text: str) -> bool:
    """A known network prefix and length, not one repeated digit, and a valid Luhn checksum."""
    digits = digits_of(text)
    if len(set(digits)) <= 2:
        return False
    for prefix, lengths in _CARD_NETWORKS:
        if len(digits) in lengths and prefix.match(digits):
            return luhn_valid(digits)
    return False


# ISO 13616 IBAN lengths for the countries that issue them (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_valid(text: str) -> bool:
    """Country length table and the ISO 7064 mod-97 check (remainder must be 1)."""
    iban = text.replace(" ", "").upper()
    if len(iban) < 15 or not iban.isalnum():
        return False
    if IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


# Numbers the SSA has published in advertising; they are not anyone's SSN.
_SSN_PUBLICISED = frozenset({"078051120", "219099999", "123456789"})


def ssn_valid(text: str) -> bool:
    """US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    digits = digits_of(text)
    if len(digits) != 9 or digits in _SSN_PUBLICISED:
        return False
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    if area == 0 or area == 666 or area >= 900:
        return False
    return group != 0 and serial != 0


_IPV4_DOC = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "233.252.0.0/24")
)
_IPV6_DOC = (ipaddress.ip_network("2001:db8::/32"), ipaddress.ip_network("3fff::/20"))


def ip_is_reportable(text: str) -> bool:
    """True for a syntactically valid, globally routable unicast address.

    Private, loopback, link-local, multicast, reserved, unspecified, shared (CGNAT) and
    documentation ranges (RFC 5737, RFC 3849, RFC 9637) are not personal data.
    """
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    if addr.is_multicast or addr.is_unspecified or addr.is_loopback or addr.is_link_local:
        return False
    if addr.is_private or addr.is_reserved or not addr.is_global:
        return False
    docs = _IPV4_DOC if addr.version == 4 else _IPV6_DOC
    return not any(addr in net for net in docs)


_C_LOG2_C = [0.0] + [c * math.log2(c) for c in range(1, 1025)]


def _c_log2_c(c: int) -> float:
    return _C_LOG2_C[c] if c <= 1024 else c * math.log2(c)


def shannon_entropy(text: str) -> float:
    """Bits per character of the string's own character distribution.

    Computed as log2(n) - sum(c * log2(c)) / n over the character counts c, with c * log2(c)
    from a table: the same value as -sum(p * log2(p)), without a logarithm per character.
    """
    n = len(text)
    if n == 0:
        return 0.0
    terms = _C_LOG2_C.__getitem__ if n < len(_C_LOG2_C) else _c_log2_c  # a count is <= n
    return max(0.0, math.log2(n) - sum(map(terms, Counter(text).values())) / n)


_HEX = frozenset("0123456789abcdefABCDEF")
_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def charset_of(text: str) -> str:
    """hex, base64, base64url or other: decides which entropy threshold applies."""
    chars = set(text)
    if chars <= _HEX:
        return "hex"
    if chars <= _B64:
        return "base64"
    if chars <= _B64URL:
        return "base64url"
    return "other"


# Base thresholds in bits/char (the hex and base64 figures detect-secrets uses), lowered for
# short strings because a string of n characters cannot exceed log2(n) bits per character.
_ENTROPY_BASE = {"hex": 3.0, "base64": 4.5, "base64url": 4.5, "other": 4.5}
_ENTROPY_LENGTH_FACTOR = {"hex": 0.75, "base64": 0.82, "base64url": 0.82, "other": 0.85}


def entropy_threshold(charset: str, length: int) -> float:
    if length <= 1:
        return float("inf")
    return min(_ENTROPY_BASE[charset], _ENTROPY_LENGTH_FACTOR[charset] * math.log2(length))


def high_entropy(text: str) -> bool:
    """Shannon entropy at or above the threshold for the string's charset and length."""
    return shannon_entropy(text) >= entropy_threshold(charset_of(text), len(text))


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_valid(token: str) -> bool:
    """Three base64url parts whose header decodes to a JSON object naming an `alg`."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        header = json.loads(_b64url_decode(parts[0]))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header


# Reserved for documentation and testing (RFC 2606, RFC 6761): never real mailboxes.
_RESERVED_MAIL_DOMAINS = frozenset({"example.com", "example.org", "example.net", "localhost"})
_RESERVED_MAIL_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
_NON_PERSONAL_LOCALS = frozenset({"git", "noreply", "no-reply", "donotreply", "do-not-reply"})
_COMMON_GTLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "edu",
        "gov",
        "mil",
        "int",
        "io",
        "dev",
        "app",
        "ai",
        "co",
        "info",
        "biz",
        "me",
        "tech",
        "cloud",
        "name",
        "pro",
        "xyz",
        "online",
        "site",
        "email",
        "mail",
        "page",
        "blog",
        "shop",
        "store",
        "global",
        "systems",
        "solutions",
        "software",
        "company",
    ]
)
_FILE_EXTENSION_TLDS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "js",
        "ts",
        "py",
        "rb",
        "go",
        "rs",
        "md",
        "txt",
        "json",
        "yaml",
        "yml",
        "toml",
        "lock",
        "css",
        "html",
        "map",
        "min",
        "gz",
        "zip",
        "tar",
        "whl",
        "so",
        "dll",
        "exe",
    ]
)


def email_reportable(address: str) -> bool:
    """A plausible personal mailbox: real-looking TLD, not a reserved or system domain."""
    local, _, domain = address.rpartition("@")
    domain = domain.lower().rstrip(".")
    if not local or "." not in domain or local.lower() in _NON_PERSONAL_LOCALS:
        return False
    if domain in _RESERVED_MAIL_DOMAINS or domain.endswith(_RESERVED_MAIL_SUFFIXES):
        return False
    if any(domain.endswith("." + d) for d in _RESERVED_MAIL_DOMAINS):
        return False
    tld = domain.rsplit(".", 1)[1]
    if tld in _FILE_EXTENSION_TLDS or not tld.isalpha():
        return False
    return len(tld) == 2 or tld in _COMMON_GTLDS


def phone_valid(text: str) -> bool:
    """Digit count of a real number, not a run or repeated digit, not a fictional 555-01xx."""
    digits = digits_of(text)
    if text.lstrip().startswith("+"):
        if not 8 <= len(digits) <= 15:
            return False
    elif not 9 <= len(digits) <= 12:
        return False
    if len(set(digits)) <= 2 or digits in "01234567890123456789" or digits in "9876543210":
        return False
    stripped = text.lstrip()
    national = digits[1:] if digits.startswith("1") and len(digits) == 11 else digits
    nanp = stripped.startswith("+1") or not stripped.startswith(("+", "0"))
    if len(national) == 10 and nanp:
        # North American Numbering Plan: area and exchange codes start with 2-9.
        if national[0] in "01" or national[3] in "01":
            return False
        if national[3:6] == "555" and national[6:8] == "01":
            return False
    return True


def placeholder_value(value: str) -> bool:
    """Values that are obviously not real credentials: templates, variables, dummies."""
    v = value.strip().strip("\"'")
    low = v.lower()
    if len(v) < 6 or len(set(v)) <= 2:
        return True
    if v.startswith(("$", "%", "{", "<", "[", "@", "&", "*")) or v.endswith((">", "}", ")", "]")):
        return True
    if "xxxx" in low or "****" in low or "...." in low or "…" in v:
        return True
    if low in _PLACEHOLDER_WORDS:
        return True
    return any(p in low for p in _PLACEHOLDER_PARTS)


_PLACEHOLDER_WORDS = frozenset(
    [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "test",
        "testing",
        "default",
    ]
)
_PLACEHOLDER_PARTS = (
    "changeme", "change_me", "change-me", "placeholder", "your_", "your-", "yourpass",
    "example", "dummy", "redacted", "todo", "fixme", "getenv", "environ", "process.env",
    "secrets.", "config.", "settings.", "os.", "self.", "args.", "vault:",
)  # fmt: skip
