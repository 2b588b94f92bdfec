"""Evaluation of a scanner configuration on labelled records: precision, recall, FP rates.

Units: a positive record is *found* when a finding overlaps its planted value; every other
finding is a false positive. Reported per planted type (recall), per finding type
(precision), overall, and as two false-positive rates over real negative lines: all of them,
and the "hard" ones where the regex stage raised a candidate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from checks.pii.model import PiiModel
from checks.pii.models import Family, PiiConfig, PiiType, family_of
from checks.pii.scanner import scan_text
from checks.pii.training.corpus import Record


@dataclass
class EvalResult:
    positives: Counter[str] = field(default_factory=Counter)  # by planted type
    found: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)  # by finding type
    true_findings: Counter[str] = field(default_factory=Counter)
    negative_lines: int = 0
    negative_lines_flagged: int = 0
    hard_lines: int = 0
    hard_lines_flagged: int = 0

    def recall(self, kinds: Sequence[PiiType] | None = None) -> float:
        keys = [k.value for k in kinds] if kinds is not None else list(self.positives)
        total = sum(self.positives[k] for k in keys)
        return sum(self.found[k] for k in keys) / total if total else 1.0

    def family_recall(self, family: Family) -> float:
        return self.recall([k for k in PiiType if family_of(k) is family])

    def precision(self, kind: PiiType | None = None) -> float:
        if kind is not None:
            n = self.findings[kind.value]
            return self.true_findings[kind.value] / n if n else 1.0
        n = sum(self.findings.values())
        return sum(self.true_findings.values()) / n if n else 1.0

    @property
    def false_discovery_rate(self) -> float:
        """Share of flagged candidates that are false positives."""
        return 1.0 - self.precision()

    @property
    def fp_rate(self) -> float:
        """Share of real negative lines with at least one finding."""
        return self.negative_lines_flagged / self.negative_lines if self.negative_lines else 0.0

    @property
    def fp_rate_hard(self) -> float:
        return self.hard_lines_flagged / self.hard_lines if self.hard_lines else 0.0


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def evaluate(records: Sequence[Record], config: PiiConfig, model: PiiModel | None) -> EvalResult:
    res = EvalResult()
    for rec in records:
        report = scan_text(rec.path, rec.text, config, model)
        starts = _line_starts(rec.text)
        hit = False
        for f in report.findings:
            li = min(f.line - 1, len(starts) - 1)
            f_start = starts[li] + f.col_start
            f_end = starts[li] + f.col_end
            true = rec.label == 1 and f_start < rec.end and rec.start < f_end
            hit = hit or true
            res.findings[f.type.value] += 1
            if true:
                res.true_findings[f.type.value] += 1
        if rec.label == 1:
            res.positives[rec.kind] += 1
            if hit:
                res.found[rec.kind] += 1
        else:
            flagged = bool(report.findings)
            res.negative_lines += 1
            res.negative_lines_flagged += flagged
            if rec.hard:
                res.hard_lines += 1
                res.hard_lines_flagged += flagged
    return res
