"""PII/secret detector: quality and speed of the hybrid, its regex stage and detect-secrets.

1. Quality on the shipped held-out split (`checks/pii/data/corpus-test.jsonl.gz`: real
   negative lines from the stdlib, installed packages and lockfiles; synthesised and implanted
   positives with variable names and templates the model never saw), for Maestro's regex stage
   alone, the hybrid, and detect-secrets (when installed; a dev dependency) on the same lines:
   per type the recall, the number flagged and the false-positive rate (share of the flagged
   candidates that are wrong), then overall figures side by side. detect-secrets hits are
   attributed to a type by its plugin name (`AWS Access Key` covers both AWS key kinds).
2. What the corpus leaves out, from its manifest: real lines holding an email address or a
   provider token are excluded from the negatives (flagging them is correct), not counted.
3. Throughput on two slices of real files: code (the standard library) and lockfile-heavy
   (every real lockfile and manifest in the test fixtures), regex stage and hybrid, in MB/s of
   CPU time (the machine is shared) with wall time alongside, against the 5 MB/s target.

Run: .venv/bin/python -P bench/pii.py  (a few minutes on 2 cores)
"""

from __future__ import annotations

import json
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # run directly: keep bench/ from shadowing packages

from checks.pii.model import load_model
from checks.pii.models import Family, PiiConfig, PiiType, family_of
from checks.pii.scanner import scan_text
from checks.pii.training.build import DATA_DIR, MANIFEST, read_corpus
from checks.pii.training.corpus import Record
from checks.pii.training.evaluate import EvalResult, evaluate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CODE_BYTES = 6_000_000
TARGET_MBS = 5.0
SECRET_KINDS = [k for k in PiiType if family_of(k) is Family.SECRET]
DS_TYPES: dict[str, PiiType] = {
    "AWS Access Key": PiiType.AWS_ACCESS_KEY,
    "GitHub Token": PiiType.GITHUB_TOKEN,
    "Slack Token": PiiType.SLACK_TOKEN,
    "Stripe Access Key": PiiType.STRIPE_KEY,
    "JSON Web Token": PiiType.JWT,
    "Private Key": PiiType.PRIVATE_KEY,
    "Secret Keyword": PiiType.PASSWORD_ASSIGNMENT,
    "Basic Auth Credentials": PiiType.PASSWORD_ASSIGNMENT,
    "Base64 High Entropy String": PiiType.HIGH_ENTROPY,
    "Hex High Entropy String": PiiType.HIGH_ENTROPY,
    "Public IP (ipv4)": PiiType.IP_ADDRESS,
}
OTHER = "other"


def _pct(x: float | None) -> str:
    return "      —" if x is None else f"{100 * x:6.2f}%"


def _fp_rate(e: EvalResult, kind: str | None = None) -> float | None:
    """False positives / flagged (None when nothing was flagged)."""
    keys = [kind] if kind is not None else list(e.findings)
    flagged = sum(e.findings[k] for k in keys)
    return (flagged - sum(e.true_findings[k] for k in keys)) / flagged if flagged else None


def _secret_precision(e: EvalResult) -> float | None:
    keys = [k.value for k in SECRET_KINDS]
    flagged = sum(e.findings[k] for k in keys)
    return sum(e.true_findings[k] for k in keys) / flagged if flagged else None


def detect_secrets_eval(records: list[Record]) -> EvalResult | None:
    """detect-secrets 1.x on the same records, counted like `evaluate` counts Maestro."""
    try:
        from detect_secrets.core.scan import (
            _is_filtered_out,
            _process_line_based_plugins,
            get_filters,
        )
        from detect_secrets.settings import default_settings, get_settings
    except ImportError:
        return None
    res = EvalResult()
    with default_settings():
        # The records are not files on disk; drop the "file exists" filter as scan_line does.
        get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
        get_filters.cache_clear()
        for rec in records:
            # What `scan_file` does for one file, minus the file: the filename filters (lock
            # files …) then the line plugins with their filters. `scan_line` would instead run
            # the eager ad-hoc mode, which flags nearly every word.
            if _is_filtered_out(required_filter_parameters=["filename"], filename=rec.path):
                hits = []
            else:
                lines = list(enumerate(rec.text.split("\n"), start=1))
                hits = list(_process_line_based_plugins(lines=lines, filename=rec.path))
            value = rec.text[rec.start : rec.end] if rec.label == 1 else ""
            hit = False
            for s in hits:
                kind = DS_TYPES.get(s.type)
                key = kind.value if kind is not None else OTHER
                secret = s.secret_value or ""
                true = bool(value and secret and (secret in value or value in secret))
                hit = hit or true
                res.findings[key] += 1
                res.true_findings[key] += true
            if rec.label == 1:
                res.positives[rec.kind] += 1
                res.found[rec.kind] += hit
            else:
                res.negative_lines += 1
                res.negative_lines_flagged += bool(hits)
                if rec.hard:
                    res.hard_lines += 1
                    res.hard_lines_flagged += bool(hits)
    return res


def quality(records: list[Record]) -> dict[str, EvalResult]:
    model = load_model()
    results = {
        "regex-only": evaluate(records, PiiConfig(use_model=False), None),
        "hybrid": evaluate(records, PiiConfig(), model),
    }
    t0 = time.perf_counter()
    ds = detect_secrets_eval(records)
    ds_secs = time.perf_counter() - t0
    if ds is not None:
        results["detect-secrets"] = ds
    pos = sum(1 for r in records if r.label == 1)
    hard = sum(1 for r in records if r.label == 0 and r.hard)
    print(f"held-out split: {pos} positives, {len(records) - pos} negative lines of real code")
    print(f"({hard} hard: a pattern raises a candidate there); model {model.version}")
    if ds is None:
        print("detect-secrets: not installed, its columns are left out (pip install -e .[dev])")
    else:
        print(
            f"detect-secrets: scanned {len(records) / ds_secs:.0f} records/s; it looks for "
            "credentials only, so its PII rows show what it catches incidentally"
        )
    _type_table(results)
    _overall(results)
    return results


def _type_table(results: dict[str, EvalResult]) -> None:
    names = list(results)
    short = {"regex-only": "regex", "hybrid": "hybrid", "detect-secrets": "d-s"}
    heads = [f"rec {short[n]}" for n in names] + [f"flag {short[n]}" for n in names]
    heads += [f"FP% {short[n]}" for n in names]
    print("\nper type (recall of planted values; flagged candidates; FP = wrong / flagged)")
    print(f"{'type':20s} " + " ".join(f"{h:>10s}" for h in heads))
    for kind in [*PiiType, OTHER]:
        key = kind.value if isinstance(kind, PiiType) else kind
        if key == OTHER and not any(results[n].findings[OTHER] for n in names):
            continue
        recalls = [
            _pct(results[n].recall([kind])) if isinstance(kind, PiiType) else "      —"
            for n in names
        ]
        flagged = [f"{results[n].findings[key]:7d}" for n in names]
        fps = [_pct(_fp_rate(results[n], key)) for n in names]
        print(f"{key:20s} " + " ".join(f"{c:>10s}" for c in recalls + flagged + fps))


def _overall(results: dict[str, EvalResult]) -> None:
    rows: list[tuple[str, Callable[[EvalResult], float | None]]] = [
        ("recall, secrets (target >= 95%)", lambda e: e.family_recall(Family.SECRET)),
        ("recall, PII (target >= 90%)", lambda e: e.family_recall(Family.PII)),
        ("FP rate: wrong / flagged (< 3%)", lambda e: _fp_rate(e)),
        ("precision, all flagged", lambda e: e.precision()),
        ("precision, secret types flagged", _secret_precision),
        ("negative lines flagged", lambda e: e.fp_rate),
        ("hard negative lines flagged", lambda e: e.fp_rate_hard),
    ]
    print(f"\n{'overall':34s}" + "".join(f"{n:>16s}" for n in results))
    for label, fn in rows:
        print(f"{label:34s}" + "".join(f"{_pct(fn(e)):>16s}" for e in results.values()))
    r, h = results["regex-only"], results["hybrid"]
    fdr_r, fdr_h = _fp_rate(r) or 0.0, _fp_rate(h) or 0.0
    ratio = f"{fdr_r / fdr_h:.1f}x" if fdr_h else "inf"
    print(f"regex-only / hybrid FP rate: {ratio}; recall kept {h.recall() / r.recall():.3f}")


def corpus_note() -> None:
    manifest = json.loads((DATA_DIR / MANIFEST).read_text())
    kinds = ", ".join(f"{k} {n}" for k, n in manifest.get("excluded_by_kind", {}).items())
    print(
        f"\nnot in the negatives: {manifest['lines_excluded_as_real_findings']} real lines of "
        f"{manifest['lines_read']} read hold a provider token or a personal email address "
        f"(candidates: {kinds}); flagging them is right, so they are excluded, not counted."
    )
    deps = manifest.get("hard_dependency_declarations")
    if deps is not None:
        print(f"kept as hard negatives: {deps} credential-named dependency declarations.")


def _slices() -> dict[str, list[tuple[str, str]]]:
    lock: list[tuple[str, str]] = []
    for folder in (FIXTURES / "sbom" / "lockfiles", FIXTURES / "sbom" / "generated"):
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix != ".xml":
                lock.append((p.relative_to(folder).as_posix(), p.read_text()))
    for p in sorted((FIXTURES / "pii").iterdir()):
        if p.suffix in (".json", ".lock", ".sum", ".txt") and not p.name.startswith("webhook"):
            lock.append((p.name, p.read_text()))
    code: list[tuple[str, str]] = []
    total = 0
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for p in sorted(stdlib.rglob("*.py")):
        if "site-packages" in p.parts or total >= CODE_BYTES:
            continue
        try:
            text = p.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        code.append((p.relative_to(stdlib).as_posix(), text))
        total += len(text)
    return {"code (stdlib .py)": code, "lockfile-heavy": lock}


def throughput() -> None:
    load_model()  # loading is a start-up cost, not a per-scan one
    print(f"\nthroughput, best of 3 (target >= {TARGET_MBS:.0f} MB/s; CPU time, wall in brackets)")
    for name, files in _slices().items():
        n_bytes = sum(len(t.encode()) for _, t in files)
        print(f"  {name}: {len(files)} files, {n_bytes / 1e6:.1f} MB")
        for mode, config in (("regex-only", PiiConfig(use_model=False)), ("hybrid", PiiConfig())):
            cpu = wall = float("inf")
            for _ in range(3):
                c0, w0 = time.process_time(), time.perf_counter()
                for path, text in files:
                    scan_text(path, text, config)
                cpu = min(cpu, time.process_time() - c0)
                wall = min(wall, time.perf_counter() - w0)
            mbs = n_bytes / 1e6 / cpu
            verdict = "meets" if mbs >= TARGET_MBS else "BELOW"
            print(
                f"    {mode:10s} {mbs:6.2f} MB/s ({n_bytes / 1e6 / wall:5.2f} wall)  "
                f"{verdict} the target"
            )


def main() -> None:
    # Throughput first, in a fresh process: after the quality runs the heap holds the corpus
    # and its results, and the garbage collector's passes over it would be timed too.
    throughput()
    records = read_corpus("test")
    quality(records)
    corpus_note()


if __name__ == "__main__":
    main()
