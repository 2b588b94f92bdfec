"""Paths to the SBOM and OSV fixtures (copies of shared/corpus, plus tool-generated lockfiles)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SBOM = FIXTURES / "sbom"
OSV = FIXTURES / "osv"
OSV_MORE = FIXTURES / "osv-more"  # real records beyond the corpus (README there)
LOCK = SBOM / "lockfiles"
GEN = SBOM / "generated"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# (base, head) pairs: two consecutive commits of real projects (corpus README)
PAIRS = {
    "poetry": (
        "poetry/python-poetry-poetry-core/e8bbbe6d8cb1/poetry.lock",
        "poetry/python-poetry-poetry-core/2bc56e443bb1/poetry.lock",
    ),
    "npm-v3": (
        "npm/octokit-webhooks/76f8deb2d40c/package-lock.json",
        "npm/octokit-webhooks/64f772e4ee96/package-lock.json",
    ),
    "pip-hashed": (
        "pip/sigstore-gh-action-sigstore-python/cbab91d8551b/main.txt",
        "pip/sigstore-gh-action-sigstore-python/74e004047800/main.txt",
    ),
    "cargo-v4": (
        "cargo/rustsec-rustsec/b2af1cc8c192/Cargo.lock",
        "cargo/rustsec-rustsec/7fad63bdb0a7/Cargo.lock",
    ),
    "go.sum": ("go/sigstore-rekor/d53aa51f4c39/go.sum", "go/sigstore-rekor/a8544a8e30ac/go.sum"),
    "go.mod": ("go/sigstore-rekor/d53aa51f4c39/go.mod", "go/sigstore-rekor/a8544a8e30ac/go.mod"),
}
SBOM_PAIRS = {
    "proton-bridge": (
        "cyclonedx/bom-examples/SBOM/proton-bridge/proton-bridge-v1.6.3.bom.json",
        "cyclonedx/bom-examples/SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
    ),
    "laravel-1.2-vs-1.4": (
        "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.2.json",
        "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json",
    ),
}


def all_pairs() -> dict[str, tuple[Path, Path]]:
    out = {k: (LOCK / a, LOCK / b) for k, (a, b) in PAIRS.items()}
    out.update({k: (SBOM / a, SBOM / b) for k, (a, b) in SBOM_PAIRS.items()})
    return out
