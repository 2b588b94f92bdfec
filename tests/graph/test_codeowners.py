"""CODEOWNERS parsing and GitHub's last-match-wins rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graph import codeowners

TEXT = """\
# comment
*                 @acme/maintainers
/src/             @acme/core     # trailing comment
/src/vendor/
*.md              @acme/docs docs@acme.example
/web/             not-an-owner
!secret.txt       @acme/security
"""


def test_last_matching_rule_wins() -> None:
    rules = codeowners.parse(".github/CODEOWNERS", TEXT)
    assert rules.owners_of("Makefile") == ("@acme/maintainers",)
    assert rules.owners_of("src/app.py") == ("@acme/core",)
    assert rules.owners_of("src/README.md") == ("@acme/docs", "docs@acme.example")


def test_rule_without_owners_unowns() -> None:
    rules = codeowners.parse("CODEOWNERS", TEXT)
    assert rules.owners_of("src/vendor/lib.c") == ()


def test_bad_lines_are_skipped_with_a_finding_naming_the_line() -> None:
    rules = codeowners.parse("CODEOWNERS", TEXT)
    found = {(f.line, f.code) for f in rules.findings}
    assert found == {(6, "invalid_owner"), (7, "negation_unsupported")}
    # The invalid /web/ line is skipped, so the default owner still applies.
    assert rules.owners_of("web/index.ts") == ("@acme/maintainers",)


def test_github_location_order() -> None:
    assert codeowners.select({"CODEOWNERS", ".github/CODEOWNERS"}) == ".github/CODEOWNERS"
    assert codeowners.select({"docs/CODEOWNERS", "CODEOWNERS"}) == "CODEOWNERS"
    assert codeowners.select({"src/CODEOWNERS"}) is None


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(text: str) -> None:
    rules = codeowners.parse("CODEOWNERS", text)
    for finding in rules.findings:
        assert finding.line is not None and finding.line >= 1
    rules.owners_of("a/b.py")
