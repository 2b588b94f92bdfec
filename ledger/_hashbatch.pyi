"""Types of the C accelerator built from ledger/_hashbatch.c (see ledger/hashbatch.py)."""

from collections.abc import Sequence
from typing import Any

def joined(prefix: bytes, *columns: Sequence[bytes]) -> list[bytes]: ...
def hex_of_texts(texts: Sequence[str], /) -> list[str]: ...
def headers(
    actors: Sequence[str],
    insts: Sequence[int | None],
    kinds: Sequence[str],
    digests: Sequence[str],
    repos: Sequence[str | None],
    seqs: Sequence[int],
    subjects: Sequence[str | None],
    times: Sequence[str],
    /,
) -> list[bytes]: ...
def chain(
    prevs: Sequence[Any], hashes: Sequence[Any], datas: Sequence[bytes], /
) -> tuple[list[bytes], bytes] | None: ...
