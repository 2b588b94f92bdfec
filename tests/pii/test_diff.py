"""Unified-diff parsing: added lines only, with new-file line numbers; odd input never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.pii.diff import parse_diff
from checks.pii.models import PiiType
from checks.pii.scanner import scan_diff, scan_patch

EMAIL = "jane.doe" + "@acme-corp.com"
BLANK_CONTEXT = " "  # an unchanged empty line in a hunk is a single space

GIT_DIFF = f"""diff --git a/app/settings.py b/app/settings.py
index 83db48f..bf269f4 100644
--- a/app/settings.py
+++ b/app/settings.py
@@ -1,4 +1,5 @@
 import os
-DEBUG = True
+DEBUG = False
+OWNER = "{EMAIL}"
{BLANK_CONTEXT}
 def load():
@@ -20,2 +21,4 @@ def load():
     return cfg
+
+CONTACT = "{EMAIL}"
 # end
diff --git a/docs/new.md b/docs/new.md
new file mode 100644
index 0000000..3b18e51
--- /dev/null
+++ b/docs/new.md
@@ -0,0 +1,2 @@
+# New
+Reach {EMAIL}.
\\ No newline at end of file
diff --git a/old.py b/old.py
deleted file mode 100644
index 3b18e51..0000000
--- a/old.py
+++ /dev/null
@@ -1,1 +0,0 @@
-SECRET = "{EMAIL}"
diff --git a/logo.png b/logo.png
index 1111111..2222222 100644
Binary files a/logo.png and b/logo.png differ
diff --git "a/caf\\303\\251 menu.txt" "b/caf\\303\\251 menu.txt"
index 1111111..2222222 100644
--- "a/caf\\303\\251 menu.txt"
+++ "b/caf\\303\\251 menu.txt"
@@ -3,0 +4 @@ x
+-- a line that starts with two dashes
"""


def test_added_lines_have_new_file_numbers() -> None:
    files, problems = parse_diff(GIT_DIFF)
    assert problems == []
    by_path = {f.path: f for f in files}
    assert by_path["app/settings.py"].added == [
        (2, "DEBUG = False"),
        (3, f'OWNER = "{EMAIL}"'),
        (22, ""),
        (23, f'CONTACT = "{EMAIL}"'),
    ]
    assert by_path["docs/new.md"].added == [(1, "# New"), (2, f"Reach {EMAIL}.")]
    assert by_path["old.py"].deleted and by_path["old.py"].added == []
    assert by_path["logo.png"].binary
    assert by_path["café menu.txt"].added == [(4, "-- a line that starts with two dashes")]


def test_scan_diff_reports_added_lines_only() -> None:
    report = scan_diff(GIT_DIFF)
    found = sorted((f.path, f.line) for f in report.findings)
    assert found == [("app/settings.py", 3), ("app/settings.py", 23), ("docs/new.md", 2)]
    assert all(f.type is PiiType.EMAIL for f in report.findings)
    assert report.files_scanned == 3


def test_github_patch_without_headers() -> None:
    patch = f'@@ -10,2 +10,3 @@ class A:\n     x = 1\n+    owner = "{EMAIL}"\n     y = 2'
    (f,) = scan_patch("src/a.py", patch).findings
    assert (f.path, f.line) == ("src/a.py", 11)
    assert f.redaction is not None and f.redaction.start_line == 11


def test_crlf_lines_are_scanned_without_the_carriage_return() -> None:
    diff = f"--- a/x.env\n+++ b/x.env\n@@ -0,0 +1 @@\n+OWNER={EMAIL}\r\n"
    files, _ = parse_diff(diff)
    assert files[0].added == [(1, f"OWNER={EMAIL}")]


def test_malformed_hunk_header_is_a_problem_naming_the_file_and_line() -> None:
    diff = f"--- a/x.py\n+++ b/x.py\n@@ -1,2 +oops @@\n+e = '{EMAIL}'\n"
    files, problems = parse_diff(diff)
    assert [(p.path, p.diff_line, p.reason) for p in problems] == [
        ("x.py", 3, "malformed_hunk_header")
    ]
    assert files[0].added == []


def test_truncated_hunk_is_reported() -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1,1 +1,5 @@\n+a = 1\n"
    files, problems = parse_diff(diff)
    assert files[0].added == [(1, "a = 1")]
    assert problems and problems[-1].reason in {"diff_truncated", "hunk_shorter_than_header"}


def test_hunk_line_outside_the_grammar_ends_the_hunk() -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n+a = 1\n?weird\n"
    _files, problems = parse_diff(diff)
    assert problems[0].reason == "hunk_shorter_than_header" and problems[0].diff_line == 5


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parse_and_scan_diff_never_raise(text: str) -> None:
    files, problems = parse_diff(text)
    assert all(isinstance(n, int) and n >= 0 for f in files for n, _ in f.added)
    report = scan_diff(text)
    assert len(report.problems) == len(problems)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(" +-"),
            st.text(alphabet=st.characters(blacklist_characters="\n\r"), max_size=40),
        ),
        max_size=30,
    )
)
def test_added_line_numbers_follow_the_new_file(body: list[tuple[str, str]]) -> None:
    old_n = sum(1 for tag, _ in body if tag in " -")
    new_n = sum(1 for tag, _ in body if tag in " +")
    hunk = "\n".join(tag + text for tag, text in body)
    diff = f"--- a/f.txt\n+++ b/f.txt\n@@ -5,{old_n} +7,{new_n} @@\n{hunk}\n"
    files, problems = parse_diff(diff)
    assert problems == []
    expected = []
    line = 7
    for tag, text in body:
        if tag == "+":
            expected.append((line, text))
        if tag in " +":
            line += 1
    assert (files[0].added if files else []) == expected
