"""The hybrid scanner on real files and planted values: findings, masking, allow-lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from checks.pii.model import load_model
from checks.pii.models import AllowSource, Family, PiiConfig, PiiType
from checks.pii.scanner import scan_text

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pii"

AWS = "AKIA" + "Z3MSJV7WQXB2LKPA"
GHP = "ghp_" + "R2d4Xk9LmQ7pZt3Vb8Nc1Yh6Jw0Fs5Ea4Ug2"
EMAIL = "jane.doe" + "@acme-corp.com"


@pytest.mark.parametrize(
    "name", ["package-lock.json", "go.sum", "requirements-main.txt", "Cargo.lock"]
)
def test_real_lockfiles_pass_the_hybrid(name: str) -> None:
    """Thousands of sha512 integrity strings, h1: and sha256 hashes: none blocks.

    Digests in a digest notation (`sha512-…`, `h1:…`, `sha256:…`, `checksum = "…"`) of the
    algorithm's length are not even candidates; what the regex stage still raises (package
    paths, wheel names) the model suppresses. These versions of the lockfiles are not the ones
    in the training corpus.
    """
    text = (FIXTURES / name).read_text()
    digests = len(re.findall(r"sha512-|h1:|sha256:|checksum", text))
    regex_only = scan_text(name, text, PiiConfig(use_model=False))
    hybrid = scan_text(name, text)
    assert digests > 100
    assert len(regex_only.findings) < digests / 5
    assert hybrid.findings == []
    assert hybrid.suppressed == len(regex_only.findings)


def test_webhook_payload_flags_only_the_email_addresses() -> None:
    text = (FIXTURES / "webhook-push.json").read_text()
    report = scan_text("payload.json", text)
    assert {f.type for f in report.findings} == {PiiType.EMAIL}
    assert all("Codertocat@" not in f.excerpt for f in report.findings)


@pytest.mark.parametrize(
    "line",
    [
        '    "id": "550e8400-e29b-41d4-a716-446655440000",',
        'request_id = "6fa459ea-ee8a-3ca4-894e-db77e160355e"',
        '  "head_sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",',
        "commit = '3f786850e387550fdab836ed7e6dc881de23001b'",
        '"integrity": "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7'
        'kxvUdBeoGlODJ6+SfaPg=="',
        "    --hash=sha256:1f02e8b43a8fbbc3f3e0d4f0f4bfc8131bcb4eebe8849b8e5c773f3a1c582a53",
    ],
)
def test_uuids_shas_and_integrity_strings_do_not_block(line: str) -> None:
    report = scan_text("src/app/data.py", line)
    assert report.blocking == []


def test_aws_key_and_customer_email_block_with_reasons_and_suggestions() -> None:
    text = f'x = 1\nAWS_ACCESS_KEY_ID = "{AWS}"\nnotify(to="{EMAIL}")\n'
    report = scan_text("billing/notify.py", text)
    by_type = {f.type: f for f in report.blocking}
    assert set(by_type) == {PiiType.AWS_ACCESS_KEY, PiiType.EMAIL}
    aws, mail = by_type[PiiType.AWS_ACCESS_KEY], by_type[PiiType.EMAIL]
    assert (aws.line, aws.family, aws.reason) == (2, Family.SECRET, "secret_detected")
    assert (mail.line, mail.family, mail.reason) == (3, Family.PII, "pii_detected")
    assert aws.score >= aws.threshold and 0.0 <= aws.score <= 1.0
    assert aws.redaction is not None
    assert aws.redaction.replacement == 'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]'
    assert mail.redaction is not None and "user@example.com" in mail.redaction.replacement
    assert text.split("\n")[1][aws.col_start : aws.col_end] == AWS


def test_findings_never_carry_the_raw_value_anywhere() -> None:
    text = f'a = "{AWS}"; b = "{GHP}"  # {EMAIL}\n'
    report = scan_text("x.py", text)
    assert len(report.findings) == 3
    dumped = json.dumps([f.model_dump(mode="json") for f in report.findings])
    for raw in (AWS, GHP, EMAIL):
        assert raw not in dumped
        assert raw not in repr(report)
    # Every value on the line is redacted in every suggestion for that line.
    for f in report.findings:
        assert f.redaction is not None
        assert all(raw not in f.redaction.suggestion for raw in (AWS, GHP, EMAIL))


def test_inline_allow_marker_with_reason_is_reported_not_blocking() -> None:
    text = f'token = "{GHP}"  # maestro: allow-pii revoked test token\n'
    (f,) = scan_text("a.py", text).findings
    assert f.allowed is not None and f.allowed.source is AllowSource.INLINE
    assert f.allowed.reason == "revoked test token"
    assert not f.blocking


def test_allow_marker_on_the_comment_line_above() -> None:
    text = f'# maestro: allow-pii published sample key\ntoken = "{GHP}"\n'
    (f,) = scan_text("a.py", text).findings
    assert f.allowed is not None and f.allowed.reason == "published sample key"


def test_allow_marker_without_reason_allows_nothing() -> None:
    (f,) = scan_text("a.py", f'token = "{GHP}"  # maestro: allow-pii\n').findings
    assert f.allowed is None and f.blocking


def test_path_glob_allows_and_names_the_glob() -> None:
    config = PiiConfig(allow_paths=["docs/**", "tests/fixtures/*.json"])
    (f,) = scan_text("docs/guide/setup.md", f"Ask {EMAIL}.", config).findings
    assert f.allowed is not None and f.allowed.source is AllowSource.PATH_GLOB
    assert f.allowed.reason == "docs/**"
    (g,) = scan_text("src/docs.py", f'e = "{EMAIL}"', config).findings
    assert g.allowed is None


def test_regex_only_mode_scores_everything_one() -> None:
    report = scan_text(
        "a.py", 'h = "3f786850e387550fdab836ed7e6dc881de23001b"', PiiConfig(use_model=False)
    )
    assert [f.score for f in report.findings] == [1.0]


def test_include_suppressed_returns_low_scores_as_non_blocking() -> None:
    text = 'source = "git+https://github.com/o/r#ec26c3e57ca3a959ca5aad62de7213c562f8c821"'
    report = scan_text("Cargo.lock", text, PiiConfig(include_suppressed=True))
    assert len(report.findings) == 1 and report.suppressed == 1
    assert not report.findings[0].blocking


def test_threshold_override_per_type() -> None:
    config = PiiConfig(thresholds={"email": 1.01})
    (f,) = scan_text(
        "a.py", f'e = "{EMAIL}"', PiiConfig(include_suppressed=True, thresholds={"email": 1.01})
    ).findings
    assert not f.blocking
    assert scan_text("a.py", f'e = "{EMAIL}"', config).findings == []


def test_multiline_pem_block_is_one_finding_with_block_redaction() -> None:
    body = "\n".join(["MIIEowIBAAKCAQEA7bq98Xk2Lm9Pz4Vb8Nc1Yh6Jw0Fs5Ea3Ug2Rt7Wd4KoQx"] * 3)
    begin, end = "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"
    text = f'KEY = """{begin}\n{body}\n{end}"""\n'
    (f,) = scan_text("deploy/keys.py", text).findings
    assert f.type is PiiType.PRIVATE_KEY and (f.line, f.end_line) == (1, 5)
    assert f.redaction is not None and f.redaction.strategy == "remove_block"
    assert (f.redaction.start_line, f.redaction.end_line) == (1, 5)
    assert "MIIEow" not in f.redaction.suggestion and "MIIEow" not in f.excerpt
    assert f.redaction.replacement.startswith(
        'KEY = """<PRIVATE_KEY'
    ) and f.redaction.replacement.endswith('"""')


def test_the_shipped_model_is_loaded_once() -> None:
    assert load_model() is load_model()
