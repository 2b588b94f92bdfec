"""Dependency manifests and lockfiles: package names with `token` in them are not credentials,
digests in a digest notation are not secrets, and published author addresses do not block."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.pii.candidates import find_candidates
from checks.pii.manifests import (
    MANIFEST_AUTHOR,
    author_lines,
    dependency_lines,
    dependency_value,
)
from checks.pii.models import PiiConfig, PiiType
from checks.pii.scanner import scan_diff, scan_text

SBOM = Path(__file__).parent.parent / "fixtures" / "sbom"
# Every lockfile and manifest of the shared corpus (tests/fixtures/sbom/lockfiles is its copy)
# plus the lockfiles the real tools wrote for the formats it lacks (generated/).
REAL_DEPENDENCY_FILES = sorted(
    p for d in ("lockfiles", "generated") for p in (SBOM / d).rglob("*") if p.is_file()
)
EMAIL = "arun.neelicattu" + "@gmail.com"
HEX64 = "3d4e5f6a7b8c9d0e1f2b8a6c5f4ea3d7d1f4b8b0e0f1c8c5b1b3c6c1b4b2e79a"


def kinds(text: str, path: str) -> list[PiiType]:
    return [c.kind for c in find_candidates(text, path)]


@pytest.mark.parametrize(
    ("path", "line"),
    [
        # The lines the audit found blocking as password_assignment (scores 0.77-1.0).
        ("package.json", '    "js-tokens": "^4.0.0"'),
        ("package-lock.json", '        "js-tokens": "^4.0.0"'),
        ("package-lock.json", '        "@octokit/auth-token": "^3.0.0",'),
        ("package-lock.json", '        "registry-auth-token": "^4.0.0",'),
        ("pyproject.toml", 'tokenizers = "^0.15.0"'),
        # The same declarations outside any known manifest: the value alone decides.
        ("deps/versions.json", '  "js-tokens": "^4.0.0",'),
        ("deps/versions.json", '  "@octokit/auth-token": ">=3.0.0 <4",'),
        ("deps/versions.json", '  "secret-handshake": "4.x || 5.x",'),
        ("deps/versions.json", '  "token-types": "~5.0.1",'),
        ("deps/versions.json", '  "tokenizer": "npm:fast-tokenizer@^2.1.0",'),
        ("deps/versions.json", '  "password-hash": "workspace:^1.2.0",'),
        ("deps/versions.json", '  "auth-token": "github:octokit/auth-token.js#v3.0.1",'),
        (
            "deps/versions.json",
            '  "js-tokens": "https://registry.npmjs.org/js-tokens/-/js-tokens-4.0.0.tgz",',
        ),
        ("config/versions.yml", "secret_manager_version: 2.16.1"),
    ],
)
def test_dependency_declarations_are_not_credentials(path: str, line: str) -> None:
    assert PiiType.PASSWORD_ASSIGNMENT not in kinds(line, path)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("config/app.json", '  "api_token": "Tr0ub4dor&3xQ",'),
        ("app/settings.py", 'DB_PASSWORD = "v3ry-s3cret-2024"'),
        ("config/app.yml", "  secret: 9f8e7d6c5b4a"),
        # Outside the dependency map of a package.json, a token is a token.
        ("package.json", '  "config": { "npm_token": "Zq8vL3kP0wXy" }'),
    ],
)
def test_real_assignments_are_still_candidates(path: str, line: str) -> None:
    assert kinds(line, path) == [PiiType.PASSWORD_ASSIGNMENT]


@pytest.mark.parametrize(
    "value",
    [
        "^4.0.0",
        "~5.0.1",
        ">=1.2,<2",
        "4.x || 5.x",
        "1.2.3-beta.1",
        "=2.0.0",
        "npm:a@^1",
        "latest",
        "git+ssh://git@github.com/o/r.git",
        "https://registry.yarnpkg.com/a/-/a-1.0.0.tgz",
    ],
)
def test_dependency_values(value: str) -> None:
    assert dependency_value(value)


@pytest.mark.parametrize(
    "value",
    [
        "Tr0ub4dor&3x",
        "123456789",
        "~Tr0ub4dor",
        "1x2y3z",
        "https://evil.example.net/a.tgz",
        "git+https://u:p4ss@host/r.git",
        "https://registry.npmjs.org/a?token=Zq8vL3kP0wXy",
    ],
)
def test_values_that_are_not_dependencies(value: str) -> None:
    assert not dependency_value(value)


PACKAGE_JSON = """{
  "name": "demo",
  "config": {
    "secret_sauce": "corp-fork-2024"
  },
  "dependencies": {
    "secret_sauce": "corp-fork-2024",
    "left-pad": "1.3.0"
  },
  "devDependencies": { "token_bucket": "corp-fork-2024" }
}"""

PYPROJECT = f"""[project]
name = "demo"
authors = [
  {{ name = "Arun", email = "{EMAIL}" }},
]

[tool.poetry.dependencies]
secret_sauce = "corp-fork-2024"

[tool.demo]
secret_sauce = "corp-fork-2024"
support = "{EMAIL}"
"""


def test_dependency_maps_of_known_manifests_are_skipped() -> None:
    """Inside a dependency map any value is a package source; next to it, the same key counts."""
    assert dependency_lines(PACKAGE_JSON, "package.json") == {5, 6, 7, 8, 9}
    cands = find_candidates(PACKAGE_JSON, "package.json")
    assert [(c.kind, c.line_index) for c in cands] == [(PiiType.PASSWORD_ASSIGNMENT, 3)]
    cands = find_candidates(PYPROJECT, "pyproject.toml")
    assert [(c.kind, c.line_index) for c in cands if c.kind is PiiType.PASSWORD_ASSIGNMENT] == [
        (PiiType.PASSWORD_ASSIGNMENT, 10)
    ]


def test_manifest_author_emails_are_information_not_blockers() -> None:
    report = scan_text("pyproject.toml", PYPROJECT)
    by_line = {f.line: f for f in report.findings if f.type is PiiType.EMAIL}
    assert by_line[4].info == MANIFEST_AUTHOR and not by_line[4].blocking
    assert by_line[12].info is None and by_line[12].blocking  # a contact the app uses
    assert report.informational == [by_line[4]]
    # The same address in code blocks.
    (finding,) = scan_text("src/app.py", f'OWNER = "{EMAIL}"').findings
    assert finding.blocking and finding.info is None


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("package.json", f'  "author": "Arun <{EMAIL}> (https://arun.dev)",'),
        ("package.json", f'    "Arun <{EMAIL}>",'),
        ("package.json", f'  "maintainers": [{{ "name": "Arun", "email": "{EMAIL}" }}],'),
        ("pyproject.toml", f'    {{ name = "Arun", email = "{EMAIL}" }},'),
        ("pyproject.toml", f'authors = ["Arun <{EMAIL}>"]'),
        ("Cargo.toml", f'authors = ["Arun <{EMAIL}>"]'),
        ("setup.py", f'    author_email="{EMAIL}",'),
        ("setup.cfg", f"author_email = {EMAIL}"),
    ],
)
def test_author_entries_added_in_a_diff_are_information(path: str, line: str) -> None:
    """In a pull request only the added line is scanned: its own shape says it is an author."""
    patch = f"@@ -3,0 +4 @@\n+{line}"
    (finding,) = scan_diff(patch, default_path=path).findings
    assert finding.type is PiiType.EMAIL and finding.line == 4
    assert finding.info == MANIFEST_AUTHOR and not finding.blocking


def test_real_pyproject_authors_and_maintainers() -> None:
    path = SBOM / "lockfiles/poetry/python-poetry-poetry-core/2bc56e443bb1/pyproject.toml"
    text = path.read_text()
    assert set(range(5, 16)) <= author_lines(text, "pyproject.toml")
    report = scan_text("pyproject.toml", text)
    emails = [f for f in report.findings if f.type is PiiType.EMAIL]
    assert len(emails) == 8 and all(f.info == MANIFEST_AUTHOR for f in emails)
    assert report.blocking == []


@pytest.mark.parametrize("path", REAL_DEPENDENCY_FILES, ids=lambda p: str(p.relative_to(SBOM)))
def test_every_real_lockfile_and_manifest_has_no_blocking_finding(path: Path) -> None:
    report = scan_text(path.name, path.read_text())
    assert [(f.line, f.type.value, f.rule) for f in report.blocking] == []


def test_the_v2_package_lock_that_blocked_six_times() -> None:
    path = SBOM / "lockfiles/npm/octokit-webhooks/0355b158c05f/package-lock.json"
    text = path.read_text()
    assert text.count('"js-tokens": "^4.0.0"') >= 2
    assert text.count('"@octokit/auth-token": "^3.0.0"') >= 2
    for config in (PiiConfig(), PiiConfig(use_model=False)):
        report = scan_text("package-lock.json", text, config)
        assert [f for f in report.findings if f.type is PiiType.PASSWORD_ASSIGNMENT] == []


@pytest.mark.parametrize(
    ("line", "digest"),
    [
        (
            "    --hash=sha256:"
            + "1f02e8b43a8fbbc3f3e0d4f0f4bfc8131bcb4eebe8849b8e5c773f3a1c582a53",
            True,
        ),
        (
            '    "integrity": "sha512-'
            + "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7"
            + "kxvUdBeoGlODJ6+SfaPg=="
            + '",',
            True,
        ),
        ("github.com/x/y v1.0.0 h1:" + "MyRJ/UdXutAwSAT+s3wNd7MfTIcy71VQueUuFK3NRqk=", True),
        (
            'checksum = "'
            + "a97e2b4b1c6c3b1b5c8c1f0e0b8b4f1d7d3a4ef5c6a8b2e1f0d9c8b7a6f5e4d3"
            + '"',
            True,
        ),
        (
            'content-hash = "'
            + "a97e2b4b1c6c3b1b5c8c1f0e0b8b4f1d7d3a4ef5c6a8b2e1f0d9c8b7a6f5e4d3"[::-1]
            + '"',
            True,
        ),
        ('  "before": "' + "6113728f27ae82c7b1a177c8d03f9e96e0adf246" + '",', True),
        ('  "head_sha": "' + "6113728f27ae82c7b1a177c8d03f9e96e0adf246" + '",', True),
        # Wrong length for the algorithm, or no digest notation: still a candidate.
        ('  "oauth": "' + "6113728f27ae82c7b1a177c8d03f9e96e0adf246" + '",', False),
        ('  "before": "' + "6113728F27AE82C7B1A177C8D03F9E96E0ADF246" + '",', False),
        ("    --hash=sha256:" + "1f02e8b43a8fbbc3f3e0d4f0f4bfc8131bcb4eeb", False),
        (
            'build = "' + "a97e2b4b1c6c3b1b5c8c1f0e0b8b4f1d7d3a4ef5c6a8b2e1f0d9c8b7a6f5e4d3" + '"',
            False,
        ),
    ],
)
def test_digests_in_a_digest_notation_are_not_candidates(line: str, digest: bool) -> None:
    found = [c for c in find_candidates(line, "deps.txt") if c.kind is PiiType.HIGH_ENTROPY]
    assert (found == []) is digest


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="{}[]\"'=:#,\n abc-_.", max_size=300))
def test_section_tracking_never_raises_and_stays_in_range(text: str) -> None:
    n = text.count("\n") + 1
    for name in ("package.json", "pyproject.toml", "Cargo.toml", "setup.py", "app.py"):
        for lines in (dependency_lines(text, name), author_lines(text, name)):
            assert all(0 <= i < n for i in lines)


@pytest.mark.parametrize(
    "line",
    [
        '    "version": "4539 1488 0343 6467",',  # card-shaped
        '    "resolved": "http://8.8.4.4/registry/a-1.0.0.tgz",',  # public IP
        "    checksum 536-22-1234",  # SSN-shaped
    ],
)
def test_lockfiles_skip_personal_data_formats_but_not_secrets_or_emails(line: str) -> None:
    assert find_candidates(line, "package-lock.json") == []
    assert find_candidates(line, "src/data.json") != []  # the same line in code is a candidate
    token = "ghp_" + "R2d4Xk9LmQ7pZt3Vb8Nc1Yh6Jw0Fs5Ea4Ug2"
    leak = f'    "resolved": "https://{token}@npm.pkg.github.com/o/a/-/a-1.0.0.tgz",'
    assert PiiType.GITHUB_TOKEN in kinds(leak, "package-lock.json")
    author = '      "authors": [{"name": "Jane", "email": "jane.doe@' + 'acme-corp.com"}],'
    assert kinds(author, "composer.lock") == [PiiType.EMAIL]


def test_lockfile_distribution_file_names_are_not_high_entropy_candidates() -> None:
    wheel = "PyYAML-6.0.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    line = f'    {{file = "{wheel}", hash = "sha256:{HEX64}"}},'
    assert find_candidates(line, "poetry.lock") == []
    assert find_candidates(line, "notes/wheels.toml") != []  # outside a lockfile: a candidate
    token = "q7Xk2Lm9Pz4Vb8Nc1Yh6Jw0Fs5Ea3Ug2Rt7Wd4Ko"
    url = f'    "resolved": "https://registry.example.net/a/-/{token}",'
    assert kinds(url, "package-lock.json") == [PiiType.HIGH_ENTROPY]  # not a file name
