"""The candidate rules: one regex per format, each with the validator that must accept the match.

A rule names the type it finds, a regex whose `v` group (or `v2`) captures the value, an
optional validator `(value, lang) -> bool`, and a priority used when two rules claim
overlapping text (a GitHub token is also a high-entropy string; the specific rule wins).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from checks.pii import validators as v
from checks.pii.digests import labelled_digest
from checks.pii.filetypes import UNQUOTED_VALUE_LANGS, Lang
from checks.pii.manifests import dependency_value
from checks.pii.models import PiiType

Validator = Callable[[str, Lang], bool]
ContextCheck = Callable[[str, int, int], bool]  # (text, start, end) -> True to drop the match


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    kind: PiiType
    pattern: re.Pattern[str]
    validate: Validator | None = None
    priority: int = 50  # higher wins on overlap
    hints: tuple[str, ...] = ()  # the text (lowercased if `lower`) must contain one of these
    lower: bool = False  # match against the ASCII-lowercased text
    # Run `pattern` only on the lines where one of these matches. Anchors that start with a
    # literal character are found by a fast scan, so a rule whose own pattern starts with a
    # character class (and would otherwise be tried at every digit of a lockfile) gets cheap.
    anchors: tuple[re.Pattern[str], ...] = ()
    reject_context: ContextCheck | None = None  # drops a match by its surroundings


def _always(_value: str, _lang: Lang) -> bool:
    return True


def _not_placeholder(value: str, _lang: Lang) -> bool:
    return not v.placeholder_value(value)


def _aws_key_id(value: str, _lang: Lang) -> bool:
    # AWS documentation keys end in EXAMPLE (AKIAIOSFODNN7EXAMPLE).
    return not value.endswith("EXAMPLE") and len(set(value[4:])) > 4


def _token_body(prefix_len: int) -> Validator:
    def check(value: str, _lang: Lang) -> bool:
        body = value[prefix_len:]
        return len(set(body)) > 6 and not v.placeholder_value(body)

    return check


def _pem_block(value: str, _lang: Lang) -> bool:
    """A real key has a base64 body after the BEGIN line; a bare marker in parsing code does not."""
    body = value.split("-----", 2)[-1]
    b64 = sum(1 for ch in body if ch.isalnum() or ch in "+/=")
    return b64 >= 64


def _ip(value: str, _lang: Lang) -> bool:
    return v.ip_is_reportable(value)


def _password(value: str, lang: Lang) -> bool:
    return not v.placeholder_value(value)


def _dependency_declaration(text: str, start: int, end: int) -> bool:
    # `"js-tokens": "^4.0.0"`, `tokenizers = "^0.15.0"`: a version or package source is never
    # a credential, whatever the key is called.
    return dependency_value(text[start:end])


_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _entropy(value: str, _lang: Lang) -> bool:
    chars = set(value)
    return bool(chars & _DIGITS and chars & _LETTERS) and v.high_entropy(value.rstrip("="))


def _passport(value: str, _lang: Lang) -> bool:
    digits = v.digits_of(value)
    return len(digits) >= 6 and len(set(digits)) > 2


_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def _nino(value: str, lang: Lang) -> bool:
    return value[:2] not in _NINO_BAD_PREFIXES and _passport(value, lang)


def _card(value: str, _lang: Lang) -> bool:
    seps = {ch for ch in value if not ch.isdigit()}
    return len(seps) <= 1 and v.card_valid(value)


def _phone(value: str, _lang: Lang) -> bool:
    return v.phone_valid(value)


def _email(value: str, _lang: Lang) -> bool:
    return v.email_reportable(value)


def _iban(value: str, _lang: Lang) -> bool:
    return v.iban_valid(value)


def _ssn(value: str, _lang: Lang) -> bool:
    return v.ssn_valid(value)


def _jwt(value: str, _lang: Lang) -> bool:
    return v.jwt_valid(value)


# `name = `, `name: `, `"name" => `, and `"name", ` (a quoted key followed by its value, as in
# props.setProperty("db_password", "...") or os.environ.get("TOKEN", "...")).
_ASSIGN = r"""(?:["'`][ \t]*,|["'`]?[ \t]*(?:=|:=|=>|:|==))[ \t]*"""

# Patterns start with a literal or a character class and put boundary look-behinds after the
# first character: `re` can then skip ahead to possible starts instead of trying every offset
# (3-4x faster). Rules with `lower=True` run on an ASCII-lowercased copy of the text (same
# offsets) so keyword alternations need no IGNORECASE; their values are cut from the original.
RULES: tuple[Rule, ...] = (
    Rule(
        "private_key_pem",
        PiiType.PRIVATE_KEY,
        re.compile(
            r"(?P<v>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:(?!-----BEGIN )[\s\S]){0,12000}?"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$))"
        ),
        _pem_block,
        priority=100,
        hints=("PRIVATE KEY",),
    ),
    Rule(
        "aws_access_key_id",
        PiiType.AWS_ACCESS_KEY,
        re.compile(
            r"(?P<v>A(?<![A-Za-z0-9]A)(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA)"
            r"[A-Z0-9]{16})(?![A-Za-z0-9])"
        ),
        _aws_key_id,
        priority=90,
    ),
    Rule(
        "aws_secret_access_key",
        PiiType.AWS_SECRET_KEY,
        re.compile(
            r"aws[\w.\-]{0,20}?secret[\w.\-]{0,20}" + _ASSIGN + r"""["'`]?"""
            r"(?P<v>[a-z0-9/+]{40})(?![a-z0-9/+=])"
        ),
        _token_body(0),
        priority=90,
        lower=True,
        hints=("secret",),
    ),
    Rule(
        "github_token",
        PiiType.GITHUB_TOKEN,
        re.compile(
            r"(?P<v>g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{36,251}"
            r"|ithub_pat_[A-Za-z0-9_]{50,240}))(?![A-Za-z0-9_])"
        ),
        _token_body(4),
        priority=90,
    ),
    Rule(
        "slack_token",
        PiiType.SLACK_TOKEN,
        re.compile(r"(?P<v>x(?<![A-Za-z0-9]x)ox[abposre]-[0-9]+-[A-Za-z0-9-]{8,250})"),
        _token_body(5),
        priority=90,
        hints=("xox",),
    ),
    Rule(
        "slack_webhook",
        PiiType.SLACK_TOKEN,
        re.compile(
            r"(?P<v>https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{6,12}/"
            r"[A-Z0-9]{6,12}/[A-Za-z0-9]{16,40})"
        ),
        _always,
        priority=90,
        hints=("hooks.slack.com",),
    ),
    Rule(
        "stripe_key",
        PiiType.STRIPE_KEY,
        re.compile(r"(?P<v>[sr](?<![A-Za-z0-9_][sr])k_(?:live|test)_[A-Za-z0-9]{16,247})"),
        _token_body(8),
        priority=90,
        hints=("k_live_", "k_test_"),
    ),
    Rule(
        "google_api_key",
        PiiType.GOOGLE_API_KEY,
        re.compile(r"(?P<v>A(?<![A-Za-z0-9_\-]A)Iza[0-9A-Za-z_\-]{35})(?![A-Za-z0-9_\-])"),
        _token_body(4),
        priority=90,
        hints=("AIza",),
    ),
    Rule(
        "jwt",
        PiiType.JWT,
        re.compile(
            r"(?P<v>e(?<![A-Za-z0-9_\-]e)yJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{4,}"
            r"\.[A-Za-z0-9_\-]{16,})"
        ),
        _jwt,
        priority=85,
        hints=("eyJ",),
    ),
    Rule(
        "credit_card",
        PiiType.CREDIT_CARD,
        re.compile(r"(?P<v>\d(?<![\w.\-+]\d)\d{3}(?:[ \-]?\d){9,15})(?![\w\-]|\.\d)"),
        _card,
        priority=80,
    ),
    Rule(
        "iban",
        PiiType.IBAN,
        re.compile(
            r"(?P<v>[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)"
            r"(?![A-Za-z0-9])"
        ),
        _iban,
        priority=80,
    ),
    Rule(
        "us_ssn",
        PiiType.US_SSN,
        re.compile(r"(?P<v>\d(?<![\w\-.]\d)\d\d-\d{2}-\d{4})(?![\w\-]|\.\d)"),
        _ssn,
        priority=75,
        anchors=(re.compile(r"-\d\d-\d{4}"),),
    ),
    Rule(
        "us_ssn_keyword",
        PiiType.US_SSN,
        re.compile(
            r"s(?:(?<![a-z0-9_]s)sn|ocial[ _\-]?security)[\w\s\"'=:#.]{0,20}?(?<!\d)"
            r"(?P<v>\d{9})(?!\d)"
        ),
        _ssn,
        priority=75,
        lower=True,
        hints=("ssn", "security"),
    ),
    Rule(
        "email",
        PiiType.EMAIL,
        re.compile(
            r"(?<![\w.%+\-])(?P<v>[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
            r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
            r"[A-Za-z0-9])?)+)"
        ),
        _email,
        priority=70,
        anchors=(re.compile(r"@(?<=[A-Za-z0-9._%+\-]@)[A-Za-z0-9]"),),
    ),
    Rule(
        "phone_e164",
        PiiType.PHONE,
        re.compile(r"(?P<v>\+(?<![\w+]\+)[1-9]\d{0,3}(?:[ .\-]?\(?\d{1,5}\)?){1,6})(?![\w\-])"),
        _phone,
        priority=65,
        hints=("+",),
    ),
    Rule(
        "phone_nanp",
        PiiType.PHONE,
        re.compile(
            r"(?P<v>[(\d](?<![\w.+\-][(\d])(?:(?<=\()\d{3}\) ?|(?<!\()\d{2}[\-. ])\d{3}[\-. ]\d{4})"
            r"(?![\w\-]|\.\d)"
        ),
        _phone,
        priority=60,
        anchors=(re.compile(r"-\d{4}"), re.compile(r"\.\d{4}"), re.compile(r" \d{4}")),
    ),
    Rule(
        "phone_national",
        PiiType.PHONE,
        re.compile(
            r"(?P<v>0(?<![\w.+\-]0)(?:[1-9](?:[ .]\d{2}){4}|\d{1,4}[ \-/]\d{3,4}[ \-]?\d{3,4}))"
            r"(?![\w\-]|\.\d)"
        ),
        _phone,
        priority=60,
    ),
    Rule(
        "ipv4",
        PiiType.IP_ADDRESS,
        re.compile(r"(?P<v>\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3})(?![\w]|\.\d)"),
        _ip,
        priority=55,
        anchors=(re.compile(r"\.\d{1,3}\.\d{1,3}\.\d"),),
    ),
    Rule(
        "ipv6",
        PiiType.IP_ADDRESS,
        re.compile(
            r"(?P<v>[0-9A-Fa-f:](?<![\w:][0-9A-Fa-f:])[0-9A-Fa-f]{0,3}(?::[0-9A-Fa-f]{0,4}){2,7})"
            r"(?![\w:])"
        ),
        _ip,
        priority=55,
        anchors=(re.compile(r":[0-9A-Fa-f]{0,4}:"),),
    ),
    Rule(
        "passport_keyword",
        PiiType.PASSPORT,
        re.compile(
            r"passport[\w\s.#:'\"=\-]{0,25}?(?<![a-z0-9])(?P<v>[a-z]{0,2}\d{6,9})(?![a-z0-9])"
        ),
        _passport,
        priority=50,
        lower=True,
        hints=("assport",),
    ),
    Rule(
        "uk_nino",
        PiiType.NATIONAL_ID,
        re.compile(
            r"(?P<v>[A-CEGHJ-PR-TW-Z](?<![A-Za-z0-9][A-CEGHJ-PR-TW-Z])"
            r"[A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D])(?![A-Za-z0-9])"
        ),
        _nino,
        priority=50,
    ),
    Rule(
        "secret_assignment",
        PiiType.PASSWORD_ASSIGNMENT,
        re.compile(
            r"(?:password|passwd|passphrase|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key"
            r"|auth[_\-]?key|private[_\-]?key|signing[_\-]?key|credentials?)[a-z0-9_.\-]*"
            + _ASSIGN
            + r"""(?:(?P<q>["'`])(?P<v>[^"'`\s]{6,200})(?P=q)|(?P<v2>[^\s"'`#;,(){}\[\]]{6,200}))"""
        ),
        _password,
        priority=40,
        lower=True,
        reject_context=_dependency_declaration,
    ),
    Rule(
        "high_entropy",
        PiiType.HIGH_ENTROPY,
        re.compile(
            r"(?P<v>[A-Za-z0-9+/_\-](?<![A-Za-z0-9+/_\-][A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{19,}"
            r"={0,2})(?![A-Za-z0-9+/=_\-])"
        ),
        _entropy,
        priority=10,
        reject_context=labelled_digest,
    ),
)


def unquoted_allowed(lang: Lang) -> bool:
    return lang in UNQUOTED_VALUE_LANGS


RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
