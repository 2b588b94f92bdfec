"""The regex stage: each rule on a true example and on near misses, plus overlap resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.pii.candidates import find_candidates
from checks.pii.models import PiiType

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pii"

# Values assembled from parts so this file itself never holds a scannable literal.
AWS = "AKIA" + "Z3MSJV7WQXB2LKPA"
GHP = "ghp_" + "R2d4Xk9LmQ7pZt3Vb8Nc1Yh6Jw0Fs5Ea4Ug2"
PAT = "github_pat_" + "11ABCDEFG0" + "abcdefghijkl_" + "Zx9" * 19 + "Q7"
SLACK = "xoxb-" + "263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc9Qx"
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM_BODY = "\n".join(["MIIEowIBAAKCAQEA7bq98Xk2Lm9Pz4Vb8Nc1Yh6Jw0Fs5Ea3Ug2Rt7Wd4KoQx"] * 4)
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + PEM_BODY + "\n-----END RSA " + "PRIVATE KEY-----"


def kinds(text: str, path: str = "app/config.py") -> list[PiiType]:
    return [c.kind for c in find_candidates(text, path)]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (f'aws_access_key_id = "{AWS}"', PiiType.AWS_ACCESS_KEY),
        (
            f'aws_secret_access_key = "{"wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "9Qx2Lm7Pz4"}"',
            PiiType.AWS_SECRET_KEY,
        ),
        (f'token = "{GHP}"', PiiType.GITHUB_TOKEN),
        (f'token = "{PAT}"', PiiType.GITHUB_TOKEN),
        (f"SLACK = '{SLACK}'", PiiType.SLACK_TOKEN),
        (f"stripe.api_key = '{STRIPE}'", PiiType.STRIPE_KEY),
        (f'key = "{GOOGLE}"', PiiType.GOOGLE_API_KEY),
        (f'headers = {{"Authorization": "Bearer {JWT}"}}', PiiType.JWT),
        ('customer = "jane.doe@acme-corp.com"', PiiType.EMAIL),
        ('phone = "+44 20 7946 0018"', PiiType.PHONE),
        ('phone = "(415) 867-5309"', PiiType.PHONE),
        ('tel = "06 12 34 56 78"', PiiType.PHONE),
        ('card = "4539 1488 0343 6467"', PiiType.CREDIT_CARD),
        ('iban = "GB82 WEST 1234 5698 7654 32"', PiiType.IBAN),
        ('ssn = "536-22-1234"', PiiType.US_SSN),
        ('{"ssn": 536221234}', PiiType.US_SSN),
        ('server = "8.8.4.4"', PiiType.IP_ADDRESS),
        ('peer = "2a00:1450:4009:81f::200e"', PiiType.IP_ADDRESS),
        ('passport_no = "X12345678"', PiiType.PASSPORT),
        ('nino = "AB 12 34 56 C"', PiiType.NATIONAL_ID),
        ('db_password = "Tr0ub4dor&3x"', PiiType.PASSWORD_ASSIGNMENT),
        ('client = Client("q7Xk2Lm9Pz4Vb8Nc1Yh6Jw0Fs5Ea3Ug2Rt7Wd4Ko")', PiiType.HIGH_ENTROPY),
    ],
)
def test_rule_finds_true_example(line: str, kind: PiiType) -> None:
    assert kinds(line) == [kind]


@pytest.mark.parametrize(
    "line",
    [
        'card = "4539 1488 0343 6468"',  # Luhn-invalid
        'ip = "192.0.2.10"',  # documentation range
        'ip = "10.0.0.1"',  # private
        'addr = "2001:db8::1"',  # documentation range
        'email = "user@example.com"',  # reserved domain
        'phone = "(415) 555-0123"',  # fictional 555-01xx
        'ssn = "666-12-3456"',  # area 666 is never issued
        'iban = "GB82 WEST 1234 5698 7654 33"',  # mod-97 fails
        'key = "AKIAIOSFODNN7EXAMPLE"  # AWS docs example',
        'password = os.environ["DB_PASSWORD"]',
        'password = "${DB_PASSWORD}"',
        "password = get_password()",
        'version = "1.2.3"',
        "x = a[1::2]",
        'marker = "-----BEGIN RSA PRIVATE KEY-----"',  # parsing code, no key body
        "    def test_this_is_a_very_long_identifier_name(self):",
    ],
)
def test_near_misses_produce_no_specific_candidate(line: str) -> None:
    found = [k for k in kinds(line) if k is not PiiType.HIGH_ENTROPY]
    assert found == []


def test_pem_block_spans_lines_and_wins_over_entropy() -> None:
    text = f'KEY = """\n{PEM}\n"""\n'
    cands = find_candidates(text, "deploy/keys.py")
    assert [c.kind for c in cands] == [PiiType.PRIVATE_KEY]
    assert cands[0].line_index == 1 and cands[0].end_line_index == 6


def test_specific_rule_beats_entropy_and_assignment_on_overlap() -> None:
    cands = find_candidates(f'github_token = "{GHP}"', "a.py")
    assert [(c.kind, c.rule) for c in cands] == [(PiiType.GITHUB_TOKEN, "github_token")]


def test_columns_and_lines() -> None:
    text = f'x = 1\n    email = "jane.doe@acme-corp.com"; t = "{GHP}"\n'
    cands = find_candidates(text, "a.py")
    assert [(c.line_index, c.kind) for c in cands] == [
        (1, PiiType.EMAIL),
        (1, PiiType.GITHUB_TOKEN),
    ]
    line = text.split("\n")[1]
    assert line[cands[0].col_start : cands[0].col_end] == "jane.doe@acme-corp.com"
    assert line[cands[1].col_start : cands[1].col_end] == GHP


def test_unquoted_values_only_count_in_config_languages() -> None:
    assert kinds("DB_PASSWORD=Tr0ub4dor3x", ".env") == [PiiType.PASSWORD_ASSIGNMENT]
    assert kinds("  password: Tr0ub4dor3x", "config/app.yml") == [PiiType.PASSWORD_ASSIGNMENT]
    assert kinds("password = Tr0ub4dor3x", "app/settings.py") == []


@pytest.mark.parametrize(
    "name",
    [
        "package-lock.json",
        "go.sum",
        "requirements-main.txt",
        "Cargo.lock",
        "webhook-push.json",
        "webhook-pull_request-opened.json",
    ],
)
def test_real_lockfiles_and_payloads_hold_no_specific_secret(name: str) -> None:
    """Real third-party files: hashes may look random, but no provider-format secret matches."""
    text = (FIXTURES / name).read_text()
    specific = {
        PiiType.AWS_ACCESS_KEY,
        PiiType.GITHUB_TOKEN,
        PiiType.SLACK_TOKEN,
        PiiType.STRIPE_KEY,
        PiiType.GOOGLE_API_KEY,
        PiiType.JWT,
        PiiType.PRIVATE_KEY,
        PiiType.CREDIT_CARD,
        PiiType.IBAN,
        PiiType.US_SSN,
    }
    assert [k for k in kinds(text, name) if k in specific] == []


def test_disabled_types_are_skipped() -> None:
    cands = find_candidates('e = "jane.doe@acme-corp.com"', "a.py", disabled=[PiiType.EMAIL])
    assert cands == []


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        # GitHub: placeholder body, too short, glued to a longer word.
        ('token = "ghp_' + "x" * 36 + '"', PiiType.GITHUB_TOKEN),
        ('token = "ghp_' + "R2d4Xk9LmQ7pZt" + '"', PiiType.GITHUB_TOKEN),
        ('token = "myghp_' + "R2d4Xk9LmQ7pZt3Vb8Nc1Yh6Jw0Fs5Ea4Ug2" + '"', PiiType.GITHUB_TOKEN),
        # Slack: no numeric workspace segment; a placeholder body.
        ('SLACK = "xoxb-' + "FGqddMF8t08v8N7Oq4i57vs1" + '"', PiiType.SLACK_TOKEN),
        ('SLACK = "xoxb-' + "263594206564-xxxxxxxxxxxxxxxx" + '"', PiiType.SLACK_TOKEN),
        # Stripe: publishable keys are public; a placeholder secret key.
        ('stripe.key = "pk_live_' + "4eC39HqLyjWDarjtT1zdp7dc9Qx" + '"', PiiType.STRIPE_KEY),
        ('stripe.api_key = "sk_live_' + "x" * 24 + '"', PiiType.STRIPE_KEY),
        # Google: one character short; a placeholder.
        ('key = "AIza' + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBW" + '"', PiiType.GOOGLE_API_KEY),
        ('key = "AIza' + "Sy" + "x" * 33 + '"', PiiType.GOOGLE_API_KEY),
        # Passport: too few digits, a repeated digit, no "passport" nearby.
        ('passport_no = "X123"', PiiType.PASSPORT),
        ('passport_no = "111111111"', PiiType.PASSPORT),
        ('order_no = "X12345678"', PiiType.PASSPORT),
        # UK NI number: a prefix never issued, a first letter never used, a bad suffix letter.
        ('nino = "GB 12 34 56 C"', PiiType.NATIONAL_ID),
        ('nino = "QQ 12 34 56 C"', PiiType.NATIONAL_ID),
        ('nino = "AB 12 34 56 E"', PiiType.NATIONAL_ID),
        # AWS secret key: the documentation example, one character short, not next to "aws".
        (
            'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + 'EXAMPLEKEY"',
            PiiType.AWS_SECRET_KEY,
        ),
        (
            'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + '9Qx2Lm7Pz"',
            PiiType.AWS_SECRET_KEY,
        ),
        ('gcs_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + '9Qx2Lm7Pz4"', PiiType.AWS_SECRET_KEY),
        ('aws_secret_access_key = os.environ["AWS_SECRET_ACCESS_KEY"]', PiiType.AWS_SECRET_KEY),
    ],
)
def test_false_examples_are_not_reported_as_the_type(line: str, kind: PiiType) -> None:
    """Near misses per type: the specific rule stays silent (a generic rule may still fire)."""
    assert kind not in kinds(line)
