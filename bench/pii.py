"""PII/secret detector: quality and speed of the hybrid against its regex stage, in one run.

1. Quality on the shipped held-out split (`checks/pii/data/corpus-test.jsonl.gz`: real
   negative lines from the stdlib, installed packages and lockfiles; synthesised and implanted
   positives with variable names and templates the model never saw): recall per type,
   precision per type and overall, false-discovery rate (share of flagged candidates that are
   wrong) and false-positive rate over real negative lines, all lines and the "hard" ones
   where the regex stage raised a candidate. Regex-only and hybrid side by side, with ratios.
2. detect-secrets on the same lines, when it is installed (it is not a dependency).
3. Throughput on real files (a fixed slice of the standard library plus the lockfile
   fixtures): MB/s and lines/s for the hybrid and the regex stage, and the ratio.

Run: .venv/bin/python bench/pii.py  (about half a minute on 2 cores)
"""

from __future__ import annotations

import sysconfig
import time
from pathlib import Path

from checks.pii.model import load_model
from checks.pii.models import Family, PiiConfig, PiiType, family_of
from checks.pii.scanner import scan_text
from checks.pii.training.build import read_corpus
from checks.pii.training.corpus import Record
from checks.pii.training.evaluate import EvalResult, evaluate

ROOT = Path(__file__).resolve().parent.parent
THROUGHPUT_BYTES = 6_000_000


def _pct(x: float) -> str:
    return f"{100 * x:6.2f}%"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "inf"


def quality(records: list[Record]) -> dict[str, EvalResult]:
    model = load_model()
    results = {
        "regex-only": evaluate(records, PiiConfig(use_model=False), None),
        "hybrid": evaluate(records, PiiConfig(), model),
    }
    pos = sum(1 for r in records if r.label == 1)
    neg = len(records) - pos
    hard = sum(1 for r in records if r.label == 0 and r.hard)
    print(f"held-out split: {pos} positives, {neg} negative lines of real code ({hard} hard)")
    print(f"model {model.version}\n")
    heads = ("recall regex", "recall hybrid", "prec regex", "prec hybrid")
    print(f"{'type':20s} {heads[0]:>13s} {heads[1]:>14s} {heads[2]:>11s} {heads[3]:>12s}")
    r, h = results["regex-only"], results["hybrid"]
    for kind in PiiType:
        print(
            f"{kind.value:20s} {_pct(r.recall([kind])):>13s} {_pct(h.recall([kind])):>14s} "
            f"{_pct(r.precision(kind)):>11s} {_pct(h.precision(kind)):>12s}"
        )
    print()
    rows = [
        ("recall, secrets (target >= 95%)", lambda e: e.family_recall(Family.SECRET)),
        ("recall, PII (target >= 90%)", lambda e: e.family_recall(Family.PII)),
        ("precision, overall", lambda e: e.precision()),
        ("false discoveries / flagged (< 3%)", lambda e: e.false_discovery_rate),
        ("FP rate, all negative lines (< 3%)", lambda e: e.fp_rate),
        ("FP rate, hard negative lines", lambda e: e.fp_rate_hard),
    ]
    print(f"{'overall':36s} {'regex-only':>11s} {'hybrid':>9s}")
    for label, fn in rows:
        print(f"{label:36s} {_pct(fn(r)):>11s} {_pct(fn(h)):>9s}")
    fdr = _ratio(r.false_discovery_rate, h.false_discovery_rate)
    print(
        f"\nratio regex-only / hybrid: false discoveries {fdr}, "
        f"FP rate on real lines {_ratio(r.fp_rate, h.fp_rate)}; "
        f"recall kept {h.recall() / r.recall():.3f}"
    )
    return results


def detect_secrets_comparison(records: list[Record]) -> None:
    try:
        from detect_secrets.core.scan import (
            _is_filtered_out,
            _process_line_based_plugins,
            get_filters,
        )
        from detect_secrets.settings import default_settings, get_settings
    except ImportError:
        print("\ndetect-secrets: not installed, comparison skipped (pip install detect-secrets)")
        return
    # detect-secrets looks for credentials only: compare on secret positives and all negatives.
    secret_kinds = {k.value for k in PiiType if family_of(k) is Family.SECRET}
    subset = [r for r in records if r.label == 0 or r.kind in secret_kinds]
    tp = fp = found = pos = neg_flagged = neg = 0
    t0 = time.perf_counter()
    with default_settings():
        # The records are not files on disk; drop the "file exists" filter as scan_line does.
        get_settings().disable_filters("detect_secrets.filters.common.is_invalid_file")
        get_filters.cache_clear()
        for rec in subset:
            # What `scan_file` does for one file, minus the file: the filename filters (lock
            # files …) then the line plugins with their filters. `scan_line` would instead run
            # the eager ad-hoc mode, which flags nearly every word.
            if _is_filtered_out(required_filter_parameters=["filename"], filename=rec.path):
                hits = []
            else:
                lines = list(enumerate(rec.text.split("\n"), start=1))
                hits = list(_process_line_based_plugins(lines=lines, filename=rec.path))
            if rec.label == 1:
                pos += 1
                value = rec.text[rec.start : rec.end]
                ok = any(s.secret_value and s.secret_value in value for s in hits)
                found += ok
                tp += sum(1 for s in hits if s.secret_value and s.secret_value in value)
                fp += sum(1 for s in hits if not (s.secret_value and s.secret_value in value))
            else:
                neg += 1
                neg_flagged += bool(hits)
                fp += len(hits)
    flagged = tp + fp
    precision = tp / flagged if flagged else 1.0
    secs = time.perf_counter() - t0
    ours = evaluate(subset, PiiConfig(), load_model())
    print(f"\nsecrets only ({pos} positives, {neg} negative lines): detect-secrets 1.x vs hybrid")
    print(f"  {'':24s} {'detect-secrets':>15s} {'hybrid':>9s}")
    print(f"  {'recall':24s} {_pct(found / pos):>15s} {_pct(ours.recall()):>9s}")
    print(f"  {'precision':24s} {_pct(precision):>15s} {_pct(ours.precision()):>9s}")
    print(f"  {'FP rate, real lines':24s} {_pct(neg_flagged / neg):>15s} {_pct(ours.fp_rate):>9s}")
    print(f"  detect-secrets scanned {len(subset) / secs:.0f} records/s")


def _real_files() -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    for p in sorted((ROOT / "tests" / "fixtures" / "pii").iterdir()):
        if p.suffix in (".json", ".lock", ".sum", ".txt"):
            files.append((p.name, p.read_text()))
    total = sum(len(t) for _, t in files)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for p in sorted(stdlib.rglob("*.py")):
        if "site-packages" in p.parts or total >= THROUGHPUT_BYTES:
            continue
        try:
            text = p.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        files.append((p.relative_to(stdlib).as_posix(), text))
        total += len(text)
    return files


def throughput() -> None:
    files = _real_files()
    n_bytes = sum(len(t.encode()) for _, t in files)
    n_lines = sum(t.count("\n") + 1 for _, t in files)
    load_model()  # loading is a start-up cost, not a per-scan one
    timings: dict[str, float] = {}
    for name, config in (("regex-only", PiiConfig(use_model=False)), ("hybrid", PiiConfig())):
        best = float("inf")
        for _ in range(2):
            t0 = time.perf_counter()
            for path, text in files:
                scan_text(path, text, config)
            best = min(best, time.perf_counter() - t0)
        timings[name] = best
    size = f"{n_bytes / 1e6:.1f} MB, {n_lines} lines"
    print(f"\nthroughput on {len(files)} real files, {size} (best of 2):")
    for name, secs in timings.items():
        print(f"  {name:10s} {n_bytes / 1e6 / secs:6.2f} MB/s  {n_lines / secs:10.0f} lines/s")
    slower = timings["hybrid"] / timings["regex-only"]
    print(f"  ratio hybrid / regex-only time: {slower:.2f}x (target >= 5 MB/s)")


def main() -> None:
    records = read_corpus("test")
    quality(records)
    detect_secrets_comparison(records)
    throughput()


if __name__ == "__main__":
    main()
