"""Build-time I/O for the PII model: read the corpus sources, write the data and the model.

This is the one module under `checks/pii/` that touches the file system beyond loading the
shipped model; the scanner never imports it. `maestro pii train` and `bench/pii.py`
call it. Sources, in a fixed order so a run is reproducible on the same interpreter and venv:

1. the interpreter's standard library (`sysconfig` stdlib path, no site-packages),
2. a fixed list of installed packages from the venv and their `*.dist-info/RECORD` files
   (whose sha256 lines are real hash negatives),
3. the third-party lockfiles, manifests and webhook payloads in `checks/pii/data/third_party/`
   (subfolders name the upstream commit).

The generated corpus is written as gzip'd JSON lines with a zero mtime (byte-identical
output for identical input) together with a manifest naming versions, counts and hashes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import platform
import sysconfig
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from checks.pii.model import MODEL_RESOURCE, PiiModel
from checks.pii.training.corpus import CorpusSizes, Record, build_corpus
from checks.pii.training.synth import words
from checks.pii.training.train import train_model

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_SEED = 20261124
CORPUS_FILES = {"train": "corpus-train.jsonl.gz", "test": "corpus-test.jsonl.gz"}
MANIFEST = "manifest.json"
MODEL_VERSION = "pii-hybrid-2"

VENV_PACKAGES = words(
    "numpy sklearn scipy cryptography hypothesis sqlalchemy pydantic starlette httpx httpcore "
    "jwt yaml jinja2 alembic certifi idna asyncpg gidgethub packaging pip setuptools _pytest "
    "uvicorn anyio click mako jsonschema joblib networkx"
)
DISTRIBUTIONS = words(
    "numpy scikit-learn scipy cryptography hypothesis SQLAlchemy pydantic starlette httpx "
    "httpcore PyJWT PyYAML Jinja2 alembic certifi idna asyncpg gidgethub packaging pip "
    "setuptools pytest uvicorn anyio click Mako jsonschema joblib networkx"
)
TEXT_SUFFIXES = frozenset(
    words(".py .pyi .txt .json .toml .cfg .ini .rst .md .yaml .yml .lock .sum .csv .js .sh .c .h")
)
SKIP_SUFFIXES = frozenset(words(".pem .key .crt .der .p12"))
MAX_FILE_BYTES = 1_500_000


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _walk(root: Path, skip_dirs: frozenset[str]) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rel_parts = path.relative_to(root).parts
        if any(p in skip_dirs for p in rel_parts[:-1]) or not path.is_file():
            continue
        name = path.name
        if path.suffix in SKIP_SUFFIXES:
            continue
        if path.suffix in TEXT_SUFFIXES or name in ("RECORD", "go.sum", "Cargo.lock"):
            yield path


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def iter_sources(data_dir: Path = DATA_DIR) -> Iterator[tuple[str, str, str]]:
    """(display path, source name, text) for every corpus source file, in a fixed order."""
    paths = sysconfig.get_paths()
    stdlib = Path(paths["stdlib"])
    for path in _walk(stdlib, frozenset({"site-packages", "__pycache__", "dist-packages"})):
        text = _read(path)
        if text is not None:
            yield f"stdlib/{path.relative_to(stdlib).as_posix()}", "stdlib", text
    site = Path(paths["purelib"])
    for pkg in VENV_PACKAGES:
        root = site / pkg
        if not root.is_dir():
            continue
        for path in _walk(root, frozenset({"__pycache__"})):
            text = _read(path)
            if text is not None:
                yield f"site-packages/{path.relative_to(site).as_posix()}", "site-packages", text
    wanted = {_normalise(d) for d in DISTRIBUTIONS}
    for record in sorted(site.glob("*.dist-info/RECORD")):
        if _normalise(record.parent.name.split("-")[0]) not in wanted:
            continue  # only the fixed list, so packages others install do not change the corpus
        text = _read(record)
        if text is not None:
            yield f"site-packages/{record.relative_to(site).as_posix()}", "site-packages", text
    third = data_dir / "third_party"
    for path in sorted(third.rglob("*")) if third.is_dir() else []:
        rel = path.relative_to(third)
        if any(part.startswith(".") for part in rel.parts):
            continue  # tool caches (.ruff_cache next to a pyproject.toml) are not sources
        if not path.is_file() or path.name == "README.md" or (text := _read(path)) is None:
            continue
        yield f"third_party/{rel.as_posix()}", "third_party", text


def _versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for dist in DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def _gzip_jsonl(records: list[Record]) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        for rec in records:
            gz.write(json.dumps(rec.to_json(), sort_keys=True, ensure_ascii=False).encode())
            gz.write(b"\n")
    return buf.getvalue()


def read_corpus(split: str, data_dir: Path = DATA_DIR) -> list[Record]:
    path = data_dir / CORPUS_FILES[split]
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [Record.from_json(json.loads(line)) for line in fh if line.strip()]


def regenerate_corpus(
    seed: int = DEFAULT_SEED, data_dir: Path = DATA_DIR, sizes: CorpusSizes | None = None
) -> dict[str, Any]:
    """Harvest the sources, synthesise positives and write both splits and the manifest."""
    splits, manifest = build_corpus(iter_sources(data_dir), seed, sizes)
    manifest["python"] = platform.python_version()
    manifest["packages"] = _versions()
    manifest["files"] = {}
    for split, name in CORPUS_FILES.items():
        blob = _gzip_jsonl(splits[split])
        (data_dir / name).write_bytes(blob)
        manifest["files"][name] = hashlib.sha256(blob).hexdigest()
    (data_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def retrain_model(seed: int = DEFAULT_SEED, data_dir: Path = DATA_DIR) -> PiiModel:
    """Fit the model on the shipped training split and write `model.json`."""
    records = read_corpus("train", data_dir)
    corpus_hash = hashlib.sha256((data_dir / CORPUS_FILES["train"]).read_bytes()).hexdigest()
    model = train_model(records, seed, version=f"{MODEL_VERSION}+{corpus_hash[:12]}")
    model.provenance["train_corpus_sha256"] = corpus_hash
    model.provenance["records"] = len(records)
    text = json.dumps(model.to_json(), indent=1, sort_keys=True) + "\n"
    (data_dir / MODEL_RESOURCE).write_text(text)
    return model
