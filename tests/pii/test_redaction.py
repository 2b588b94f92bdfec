"""Suggested changes per language, masking, and the allow-list glob semantics."""

from __future__ import annotations

import pytest

from checks.pii.allowlist import glob_match, inline_reason
from checks.pii.masking import mask_line, mask_value
from checks.pii.models import PiiConfig, PiiType
from checks.pii.scanner import scan_text

GHP = "ghp_" + "R2d4Xk9LmQ7pZt3Vb8Nc1Yh6Jw0Fs5Ea4Ug2"
EMAIL = "jane.doe" + "@acme-corp.com"
REGEX_ONLY = PiiConfig(use_model=False)


@pytest.mark.parametrize(
    ("path", "line", "replacement"),
    [
        ("app/client.py", f'api_token = "{GHP}"', 'api_token = os.environ["API_TOKEN"]'),
        (
            "web/src/client.ts",
            f'const githubToken = "{GHP}";',
            "const githubToken = process.env.GITHUB_TOKEN;",
        ),
        ("cmd/main.go", f'token := "{GHP}"', 'token := os.Getenv("TOKEN")'),
        ("lib/client.rb", f"TOKEN = '{GHP}'", 'TOKEN = ENV.fetch("TOKEN")'),
        (
            "src/Main.java",
            f'String ghToken = "{GHP}";',
            'String ghToken = System.getenv("GH_TOKEN");',
        ),
        (
            "src/main.rs",
            f'let token = "{GHP}";',
            'let token = std::env::var("TOKEN").expect("TOKEN is not set");',
        ),
        ("deploy.sh", f'export GH_TOKEN="{GHP}"', 'export GH_TOKEN="${GH_TOKEN}"'),
        ("config/app.yml", f"  token: {GHP}", "  token: ${TOKEN}"),
        (".github/workflows/ci.yml", f"      token: {GHP}", "      token: ${{ secrets.TOKEN }}"),
        (".env", f"GITHUB_TOKEN={GHP}", "GITHUB_TOKEN="),
        ("settings.json", f'  "token": "{GHP}",', '  "token": "${TOKEN}",'),
        ("README.md", f"Use {GHP} to log in.", "Use <GITHUB_TOKEN> to log in."),
    ],
)
def test_secret_suggestion_per_language(path: str, line: str, replacement: str) -> None:
    (f,) = scan_text(path, line, REGEX_ONLY).findings
    assert f.redaction is not None
    assert f.redaction.replacement == replacement
    assert f.redaction.suggestion == f"```suggestion\n{replacement}\n```"
    assert GHP not in f.redaction.suggestion


@pytest.mark.parametrize(
    ("line", "replacement"),
    [
        (f'owner = "{EMAIL}"', 'owner = "user@example.com"'),
        ('phone = "+44 20 7946 0018"', 'phone = "+1-202-555-0100"'),
        ('ip = "8.8.4.4"', 'ip = "192.0.2.1"'),
        ('ssn = "536-22-1234"', 'ssn = "000-00-0000"'),
        ('card = "4539 1488 0343 6467"', 'card = "<card-number>"'),
    ],
)
def test_pii_is_replaced_by_a_reserved_example_the_detector_ignores(
    line: str, replacement: str
) -> None:
    (f,) = scan_text("app/seed.py", line, REGEX_ONLY).findings
    assert f.redaction is not None and f.redaction.replacement == replacement
    assert f.redaction.strategy == "example_value"
    # Applying the suggestion clears the finding.
    assert scan_text("app/seed.py", f.redaction.replacement, REGEX_ONLY).findings == []


def test_suggestion_fence_grows_when_the_line_holds_backticks() -> None:
    (f,) = scan_text("a.js", f"const t = `{GHP}`; // ```", REGEX_ONLY).findings
    assert f.redaction is not None and f.redaction.suggestion.startswith("````suggestion\n")


def test_two_values_on_one_line_are_redacted_together() -> None:
    line = f'notify("{EMAIL}", token="{GHP}")'
    findings = scan_text("a.py", line, REGEX_ONLY).findings
    assert len(findings) == 2
    for f in findings:
        assert f.redaction is not None
        assert f.redaction.replacement == 'notify("user@example.com", token=os.environ["TOKEN"])'


@pytest.mark.parametrize("kind", list(PiiType))
@pytest.mark.parametrize(
    "value", [GHP, EMAIL, "4539 1488 0343 6467", "x", "AKIA" + "Z3MSJV7WQXB2LKPA", "8.8.4.4"]
)
def test_mask_never_contains_the_value(kind: PiiType, value: str) -> None:
    assert value not in mask_value(value, kind) or len(value) < 2
    masked = mask_line(f"a = '{value}' # {value}", [(5, 5 + len(value), kind, value)])
    assert value not in masked or len(value) < 2


def test_mask_keeps_only_a_non_secret_prefix_at_fixed_width() -> None:
    assert mask_value(GHP, PiiType.GITHUB_TOKEN) == "ghp_********"
    assert mask_value(EMAIL, PiiType.EMAIL) == "********@********.com"
    assert mask_value("536-22-1234", PiiType.US_SSN) == "[us_ssn:********]"
    long = "ghp_" + "A1" * 60
    assert len(mask_value(long, PiiType.GITHUB_TOKEN)) == len(mask_value(GHP, PiiType.GITHUB_TOKEN))


def test_long_lines_are_trimmed_around_the_finding() -> None:
    line = "x = 1; " * 60 + f'e = "{EMAIL}"' + "; y = 2" * 60
    (f,) = scan_text("a.py", line, REGEX_ONLY).findings
    assert len(f.excerpt) <= 162 and "********@" in f.excerpt


@pytest.mark.parametrize(
    ("path", "glob", "matches"),
    [
        ("docs/a.md", "docs/**", True),
        ("docs/deep/er/a.md", "docs/**", True),
        ("src/docs/a.md", "docs/**", False),
        ("tests/fixtures/a.json", "tests/fixtures/*.json", True),
        ("tests/fixtures/sub/a.json", "tests/fixtures/*.json", False),
        ("a/b/fixtures/c.txt", "**/fixtures/**", True),
        ("fixtures/c.txt", "**/fixtures/**", True),
        ("x.py", "?.py", True),
        ("./docs/a.md", "docs/", True),
        ("docs/a.md", "", False),
    ],
)
def test_glob_semantics(path: str, glob: str, matches: bool) -> None:
    assert glob_match(path, glob) is matches


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("x = 1  # maestro: allow-pii public support address", "public support address"),
        ("x = 1  // Maestro: Allow-PII docs example", "docs example"),
        ("<!-- maestro: allow-pii sample data -->", "sample data"),
        ("/* maestro: allow-pii vendor test key */", "vendor test key"),
        ("x = 1  # maestro: allow-pii", ""),
        ("x = 1  # maestro: allow-piity nope", None),
        ("x = 1", None),
    ],
)
def test_inline_marker_reason(line: str, reason: str | None) -> None:
    assert inline_reason(line) == reason
