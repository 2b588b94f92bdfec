"""Repository tarballs become path → text snapshots, defensively."""

from __future__ import annotations

import io
import tarfile

from hypothesis import given
from hypothesis import strategies as st

from graph.tarball import snapshot_from_tarball


def _tar(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if symlink:
            link = tarfile.TarInfo(symlink)
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/passwd"
            archive.addfile(link)
    return buffer.getvalue()


def test_strips_the_top_directory_and_keeps_only_needed_text() -> None:
    snap = snapshot_from_tarball(
        _tar(
            {
                "o-r-abc/src/a.py": b"import b\n",
                "o-r-abc/README.md": b"# readme",
                "o-r-abc/.github/CODEOWNERS": b"* @o/team\n",
                "o-r-abc/../escape.py": b"x",
            },
            symlink="o-r-abc/link.py",
        )
    )
    assert snap.files == {
        "src/a.py": "import b\n",
        "README.md": "",  # not parsed, but counted
        ".github/CODEOWNERS": "* @o/team\n",
    }


def test_large_files_and_too_many_files_are_capped() -> None:
    snap = snapshot_from_tarball(
        _tar({"t/big.py": b"x = 1\n" * 100, "t/a.py": b"", "t/b.py": b""}),
        max_files=2,
        max_file_bytes=50,
    )
    assert snap.files["big.py"] == "" and snap.skipped == ["big.py: 600 bytes"]
    assert snap.truncated and len(snap.files) == 2


@given(st.binary(max_size=400))
def test_garbage_never_raises(data: bytes) -> None:
    snap = snapshot_from_tarball(data)
    assert snap.files == {} or isinstance(snap.files, dict)
