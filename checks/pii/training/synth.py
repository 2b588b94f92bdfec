"""Synthesised positives: realistic secret and personal-data values in realistic code contexts.

Everything is drawn from a `random.Random` the caller seeds, so the corpus is reproducible.
Every pool (variable names, templates, name parts) is split in two by index: the held-out
split draws only from its half, so the evaluation sees variable names and line shapes the
model never saw in training, not just fresh random values.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from checks.pii.models import PiiType
from checks.pii.validators import IBAN_LENGTHS, ip_is_reportable, luhn_valid

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


@dataclass(frozen=True)
class Planted:
    """One synthesised snippet: the text, where the value is, what it is, and its path."""

    path: str
    text: str
    start: int
    end: int
    kind: PiiType


def words(text: str) -> list[str]:
    """A pool written as one space-separated string."""
    return text.split()


def half(pool: Sequence[str], test: bool) -> list[str]:
    """Every fourth item is held out for the test split; the rest are for training."""
    return [x for i, x in enumerate(pool) if (i % 4 == 3) == test]


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- value generators

FIRST = words(
    "james mary robert patricia john jennifer michael linda david elizabeth william barbara "
    "richard susan joseph jessica thomas sarah charles karen priya wei ahmed fatima lucas sofia "
    "mateo olga yuki hiroshi amara kwame ingrid lars chloe noah emma liam ava ethan mia"
)
LAST = words(
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
    "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white "
    "nguyen kim patel singh mueller rossi dubois novak kowalski jensen tanaka okafor silva"
)
DOMAINS = words(
    "gmail.com outlook.com yahoo.com hotmail.co.uk proton.me icloud.com acme-corp.com "
    "globex.io initech.com umbrella-health.org contoso.net fabrikam.de wayne-ent.com "
    "stark.industries.co bluth.co northwind.fr tailspin.dev hooli.xyz pied-piper.ai "
    "vandelay.biz soylent.co.jp"
)


def email(rng: random.Random, test: bool) -> str:
    first, last = rng.choice(half(FIRST, test)), rng.choice(half(LAST, test))
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}_{last}{rng.randint(1, 99)}",
            f"{first}+{rng.choice(['billing', 'dev', 'news'])}",
            f"{last}.{first[0]}",
            f"{first}{rng.randint(1970, 2005)}",
        ]
    )
    return f"{local}@{rng.choice(half(DOMAINS, test))}"


def _nanp(rng: random.Random) -> tuple[str, str, str]:
    area = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    exch = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    if exch == "555":
        exch = "556"
    return area, exch, f"{rng.randint(0, 9999):04d}"


def phone(rng: random.Random, test: bool) -> str:
    a, e, s = _nanp(rng)
    d = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    forms = [
        f"+1 {a} {e} {s}",
        f"+1-{a}-{e}-{s}",
        f"({a}) {e}-{s}",
        f"{a}-{e}-{s}",
        f"{a}.{e}.{s}",
        f"+44 20 {rng.randint(3, 8)}{d(3)} {d(4)}",
        f"+44 7{d(3)} {d(6)}",
        f"020 {rng.randint(3, 8)}{d(3)} {d(4)}",
        f"+49 30 {d(7)}",
        f"030 {d(7)}",
        f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
        f"06 {d(2)} {d(2)} {d(2)} {d(2)}",
        f"+91 9{d(4)} {d(5)}",
        f"+61 4{d(2)} {d(3)} {d(3)}",
        f"+81 90-{d(4)}-{d(4)}",
        f"+{rng.choice(['31', '34', '39', '46', '48'])}{d(9)}",
    ]
    return rng.choice(half(forms, test) if len(forms) > 4 else forms)


_CARD_PREFIXES = ("4", "51", "52", "53", "54", "55", "2221", "2720", "34", "37", "6011", "65")


def credit_card(rng: random.Random, test: bool) -> str:
    prefix = rng.choice(_CARD_PREFIXES)
    length = 15 if prefix in ("34", "37") else 16
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    check = next(str(c) for c in range(10) if luhn_valid(body + str(c)))
    digits = body + check
    if length == 15:
        groups = [digits[:4], digits[4:10], digits[10:]]
    else:
        groups = [digits[i : i + 4] for i in range(0, 16, 4)]
    return rng.choice([" ", "-", ""]).join(groups)


_IBAN_COUNTRIES = ("DE", "GB", "FR", "NL", "ES", "IT", "CH", "BE", "AT", "PL", "IE", "SE")


def iban(rng: random.Random, test: bool) -> str:
    country = rng.choice(_IBAN_COUNTRIES)
    n = IBAN_LENGTHS[country] - 4
    if country in ("GB", "NL", "IE"):
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        bban += "".join(rng.choice(string.digits) for _ in range(n - 4))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(n))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.5:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def ssn(rng: random.Random, test: bool) -> str:
    area = rng.choice([x for x in range(1, 900) if x != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def ip(rng: random.Random, test: bool) -> str:
    while True:
        if rng.random() < 0.8:
            cand = ".".join(str(rng.randint(1, 254)) for _ in range(4))
        else:
            groups = [f"{rng.choice(['2a00', '2a01', '2603', '2606', '2a03', '2c0f'])}"]
            groups += [f"{rng.randint(0, 0xFFFF):x}" for _ in range(rng.choice([3, 7]))]
            cand = ":".join(groups) if len(groups) == 8 else ":".join(groups) + "::1"
        if ip_is_reportable(cand):
            return cand


def passport(rng: random.Random, test: bool) -> str:
    prefix = rng.choice(["", "X", "P", "C", "AB", "K"])
    return prefix + "".join(rng.choice(string.digits) for _ in range(9 - len(prefix) or 8))


def national_id(rng: random.Random, test: bool) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        first, second = "A", "B"
    d = "".join(rng.choice(string.digits) for _ in range(6))
    sep = rng.choice(["", " "])
    return sep.join([first + second, d[:2], d[2:4], d[4:], rng.choice("ABCD")])


def aws_access_key(rng: random.Random, test: bool) -> str:
    return rng.choice(["AKIA", "ASIA"]) + _rand(rng, string.ascii_uppercase + "234567", 16)


def aws_secret_key(rng: random.Random, test: bool) -> str:
    return _rand(rng, ALNUM + "+/", 40)


def github_token(rng: random.Random, test: bool) -> str:
    if rng.random() < 0.25:
        return f"github_pat_{_rand(rng, ALNUM, 22)}_{_rand(rng, ALNUM, 59)}"
    return rng.choice(["ghp_", "gho_", "ghs_", "ghu_", "ghr_"]) + _rand(rng, ALNUM, 36)


def slack_token(rng: random.Random, test: bool) -> str:
    if rng.random() < 0.2:
        upper = string.ascii_uppercase + string.digits
        return (
            f"https://hooks.slack.com/services/T{_rand(rng, upper, 8)}"
            f"/B{_rand(rng, upper, 10)}/{_rand(rng, ALNUM, 24)}"
        )
    digits = string.digits
    return (
        f"xox{rng.choice('bpa')}-{_rand(rng, digits, 12)}-{_rand(rng, digits, 13)}-"
        f"{_rand(rng, ALNUM, 24)}"
    )


def stripe_key(rng: random.Random, test: bool) -> str:
    body = _rand(rng, ALNUM, rng.choice([24, 34, 99]))
    return f"{rng.choice(['sk', 'rk'])}_{rng.choice(['live', 'test'])}_{body}"


def google_api_key(rng: random.Random, test: bool) -> str:
    return "AIza" + _rand(rng, ALNUM + "-_", 35)


def _b64url(obj: object) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def jwt(rng: random.Random, test: bool) -> str:
    header = {"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
    payload: dict[str, str | int] = {
        "sub": str(rng.randint(10**5, 10**9)),
        "name": f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}",
        "iat": rng.randint(1_500_000_000, 1_800_000_000),
    }
    if rng.random() < 0.5:
        payload["exp"] = int(payload["iat"]) + 3600
    sig = _rand(rng, B64URL, rng.choice([43, 86, 342]))
    return f"{_b64url(header)}.{_b64url(payload)}.{sig}"


def private_key(rng: random.Random, test: bool) -> str:
    algo = rng.choice(["RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED "])
    body_lines = [_rand(rng, B64, 64) for _ in range(rng.randint(4, 12))]
    body_lines.append(_rand(rng, B64, rng.randint(8, 60)) + "==")
    body = "\n".join(body_lines)
    return f"-----BEGIN {algo}PRIVATE KEY-----\n{body}\n-----END {algo}PRIVATE KEY-----"


_WORDS = words("summer winter dragon monkey shadow master sunshine falcon orange tiger coffee")


def password(rng: random.Random, test: bool) -> str:
    style = rng.random()
    if style < 0.4:
        return rng.choice(_WORDS).title() + str(rng.randint(10, 9999)) + rng.choice("!@#$%&*?")
    if style < 0.7:
        return _rand(rng, ALNUM + "!@#$%^&*", rng.randint(10, 24))
    return _rand(rng, ALNUM, rng.randint(16, 40))


def high_entropy(rng: random.Random, test: bool) -> str:
    style = rng.random()
    if style < 0.3:
        return _rand(rng, "0123456789abcdef", rng.choice([32, 40, 64]))
    if style < 0.7:
        return _rand(rng, ALNUM, rng.choice([24, 32, 40, 48]))
    return _rand(rng, B64, rng.choice([32, 43, 44])) + rng.choice(["", "="])


VALUE_GENERATORS: dict[PiiType, Callable[[random.Random, bool], str]] = {
    PiiType.EMAIL: email,
    PiiType.PHONE: phone,
    PiiType.CREDIT_CARD: credit_card,
    PiiType.IBAN: iban,
    PiiType.US_SSN: ssn,
    PiiType.IP_ADDRESS: ip,
    PiiType.PASSPORT: passport,
    PiiType.NATIONAL_ID: national_id,
    PiiType.AWS_ACCESS_KEY: aws_access_key,
    PiiType.AWS_SECRET_KEY: aws_secret_key,
    PiiType.GITHUB_TOKEN: github_token,
    PiiType.SLACK_TOKEN: slack_token,
    PiiType.STRIPE_KEY: stripe_key,
    PiiType.GOOGLE_API_KEY: google_api_key,
    PiiType.JWT: jwt,
    PiiType.PRIVATE_KEY: private_key,
    PiiType.PASSWORD_ASSIGNMENT: password,
    PiiType.HIGH_ENTROPY: high_entropy,
}
