"""p95 latency from pytest-benchmark's `--benchmark-json` output.

With `--benchmark-save-data` each benchmark carries its per-round timings in `stats.data` and
the p95 is computed from them (linear interpolation between closest ranks, as numpy's default).
Without them only summary stats exist; the p95 is then estimated as mean + 1.645·stddev (the
normal quantile) capped at the max, and the measurement says it was estimated. Timings are
seconds in the report and milliseconds on the card; the obligation uses the worst benchmark.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, Field

from checks.evidence.model import EvidenceProblem, Measurement, as_text, too_large

KEY = "perfP95BudgetMs"
_Z95 = 1.6448536269514722


class BenchmarkP95(BaseModel):
    name: str
    fullname: str = ""
    p95_ms: float
    method: str  # "data" or "estimated"
    rounds: int = 0


class BenchmarkReport(BaseModel):
    name: str
    benchmarks: list[BenchmarkP95] = Field(default_factory=list)
    problems: list[EvidenceProblem] = Field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _p95(stats: dict[str, Any]) -> tuple[float, str] | None:
    data = stats.get("data")
    if isinstance(data, list) and data:
        numbers = [_number(v) for v in data]
        clean = [n for n in numbers if n is not None]
        if len(clean) == len(numbers):
            return percentile(clean, 95.0), "data"
    mean, stddev, top = (_number(stats.get(k)) for k in ("mean", "stddev", "max"))
    if mean is None or stddev is None:
        return None
    estimate = mean + _Z95 * stddev
    return (min(estimate, top) if top is not None else estimate), "estimated"


def parse_pytest_benchmark(data: bytes | str, name: str = "benchmark.json") -> BenchmarkReport:
    report = BenchmarkReport(name=name)
    big = too_large(data, name, KEY)
    if big:
        report.problems.append(big)
        return report
    try:
        doc = json.loads(as_text(data))
    except json.JSONDecodeError as exc:
        report.problems.append(
            EvidenceProblem(
                file=name,
                line=exc.lineno,
                column=exc.colno,
                code="json_malformed",
                detail=exc.msg,
                obligation=KEY,
            )
        )
        return report
    benches = doc.get("benchmarks") if isinstance(doc, dict) else None
    if not isinstance(benches, list):
        report.problems.append(
            EvidenceProblem(
                file=name,
                pointer="/benchmarks",
                code="missing_field",
                detail="benchmarks",
                obligation=KEY,
            )
        )
        return report
    for i, bench in enumerate(benches):
        stats = bench.get("stats") if isinstance(bench, dict) else None
        found = _p95(stats) if isinstance(stats, dict) else None
        if found is None or not isinstance(bench, dict):
            report.problems.append(
                EvidenceProblem(
                    file=name,
                    pointer=f"/benchmarks/{i}/stats",
                    code="missing_field",
                    detail="stats.mean/stats.stddev",
                    obligation=KEY,
                )
            )
            continue
        p95_s, method = found
        rounds = stats.get("rounds") if isinstance(stats, dict) else 0
        report.benchmarks.append(
            BenchmarkP95(
                name=str(bench.get("name", f"#{i}")),
                fullname=str(bench.get("fullname", "")),
                p95_ms=p95_s * 1000.0,
                method=method,
                rounds=rounds if isinstance(rounds, int) else 0,
            )
        )
    return report


def benchmark_measurement(report: BenchmarkReport) -> Measurement | None:
    """The worst benchmark's p95 in milliseconds; None when the report has no benchmark."""
    if not report.benchmarks:
        return None
    worst = max(report.benchmarks, key=lambda b: b.p95_ms)
    return Measurement(
        key=KEY,
        value=round(worst.p95_ms, 6),
        source=f"{report.name} (pytest-benchmark)",
        details={
            "worst": worst.name,
            "method": worst.method,
            "benchmarks": {b.name: round(b.p95_ms, 6) for b in report.benchmarks},
        },
    )
