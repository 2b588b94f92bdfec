"""Gitignore-style patterns as GitHub applies them in CODEOWNERS."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.globs import PathPattern, PatternSet, translate, unsupported_syntax

# (pattern, path, matches) — the examples of GitHub's CODEOWNERS documentation.
CASES = [
    ("*", "any/file.txt", True),
    ("*.js", "src/deep/app.js", True),
    ("*.js", "src/deep/app.ts", False),
    ("*.go", "main.go", True),
    ("/build/logs/", "build/logs/today/a.log", True),
    ("/build/logs/", "x/build/logs/a.log", False),
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("apps/", "apps/web/index.js", True),
    ("apps/", "deep/apps/web/index.js", True),
    ("/docs/", "docs/a/b.md", True),
    ("/docs/", "src/docs/a.md", False),
    ("/scripts/", "scripts/run.sh", True),
    ("**/logs", "deployments/logs/a.log", True),
    ("**/logs", "logs/a.log", True),
    ("/apps/github", "apps/github/a.rb", True),
    ("/apps/github", "apps/githubber/a.rb", False),
    ("/apps/", "apps/x.rb", True),
    ("src/**/*.py", "src/a.py", True),
    ("src/**/*.py", "src/a/b/c.py", True),
    ("src/**/*.py", "lib/src/a.py", False),
    ("services/billing/**", "services/billing/src/x.py", True),
    ("services/billing/**", "services/billing", False),
    ("README.md", "docs/README.md", True),
    ("/README.md", "docs/README.md", False),
    ("a?c.txt", "abc.txt", True),
    ("a?c.txt", "a/c.txt", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_github_examples(pattern: str, path: str, expected: bool) -> None:
    assert PathPattern.compile(pattern).matches(path) is expected


def test_pattern_set_matches_any() -> None:
    patterns = PatternSet(["web/**", "*.md"])
    assert patterns.matches("web/src/a.ts")
    assert patterns.matches("docs/x.md")
    assert not patterns.matches("src/a.py")
    assert not PatternSet([]).matches("anything")


@pytest.mark.parametrize(
    ("pattern", "code"),
    [("!keep.txt", "negation_unsupported"), ("[ab].txt", "character_range_unsupported")],
)
def test_unsupported_syntax_is_named(pattern: str, code: str) -> None:
    assert unsupported_syntax(pattern) == code
    assert unsupported_syntax("src/*.py") is None


segment = st.text(alphabet="abc.-_", min_size=1, max_size=4)
path_st = st.lists(segment, min_size=1, max_size=4).map("/".join)
pattern_st = st.lists(st.sampled_from(["a", "b.c", "*", "**", "?", "-x"]), min_size=1, max_size=4)


@given(pattern_st, st.booleans(), st.booleans(), path_st)
def test_patterns_never_crash_and_star_matches_everything(
    segs: list[str], lead: bool, trail: bool, path: str
) -> None:
    pattern = ("/" if lead else "") + "/".join(segs) + ("/" if trail else "")
    translate(pattern)
    PathPattern.compile(pattern).matches(path)
    assert PathPattern.compile("*").matches(path)


@given(path_st, path_st)
def test_a_directory_pattern_covers_everything_below(directory: str, rest: str) -> None:
    assert PathPattern.compile(f"/{directory}/").matches(f"{directory}/{rest}")
    assert PathPattern.compile(f"/{directory}").matches(f"{directory}/{rest}")
