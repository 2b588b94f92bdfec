"""The evidence artifact zip is read defensively; GitHub's per-file patches become a diff."""

from __future__ import annotations

import io
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from checks.changes import FileChange
from checks.evidence.archive import read_artifact_zip, unified_diff_from_files
from checks.evidence.diff import parse_unified_diff


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_reads_reports_and_skips_unsafe_names() -> None:
    files, problems = read_artifact_zip(
        _zip({"coverage.xml": b"<coverage/>", "../escape.txt": b"x", "dir/lcov.info": b"SF:a"}),
        "maestro-evidence",
    )
    assert files == {"coverage.xml": b"<coverage/>", "dir/lcov.info": b"SF:a"}
    assert [p.code for p in problems] == ["artifact_unsafe_name"]


def test_zip_bomb_is_cut_at_the_total_size() -> None:
    data = _zip({"a.json": b"0" * 2_000_000, "b.json": b"0" * 2_000_000})
    assert len(data) < 50_000  # compresses to almost nothing
    files, problems = read_artifact_zip(data, "maestro-evidence", max_total=3_000_000)
    assert list(files) == ["a.json"]
    assert problems[0].code == "artifact_too_large"


def test_too_many_entries_are_reported() -> None:
    files, problems = read_artifact_zip(
        _zip({f"f{i}.json": b"{}" for i in range(5)}), "e", max_entries=3
    )
    assert len(files) == 3 and problems[0].code == "artifact_too_many_files"


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    files, problems = read_artifact_zip(data, "maestro-evidence")
    assert files or problems or data[:2] == b"PK"


def test_per_file_patches_make_a_diff_with_new_file_line_numbers() -> None:
    diff = unified_diff_from_files(
        [
            FileChange(filename="src/a.py", patch="@@ -1,2 +1,3 @@\n x\n+y\n z"),
            FileChange(filename="n.py", status="added", patch="@@ -0,0 +1,2 @@\n+a\n+b"),
            FileChange(filename="gone.py", status="removed", patch="@@ -1 +0,0 @@\n-a"),
            FileChange(filename="image.png", status="modified", patch=None),
        ]
    )
    result = parse_unified_diff(diff)
    assert not result.problems
    assert {k: v.added_lines for k, v in result.files.items()} == {
        "src/a.py": [2],
        "n.py": [1, 2],
        "gone.py": [],
    }
    assert result.files["gone.py"].status == "deleted"
