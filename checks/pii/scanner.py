"""The hybrid scanner: regex candidates, model scores, allow-lists, masked findings, redactions.

Entry points:
- `scan_text(path, text, config)`: a whole file.
- `scan_diff(diff_text, config)`: only the lines a unified diff adds, with new-file numbers.
- `scan_patch(path, patch, config)`: one GitHub `pulls/{n}/files` patch (hunks only).

None of them raise on odd input; unparsable diff parts come back as `ScanReport.problems`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from checks.pii.allowlist import inline_allowance, path_allowance
from checks.pii.candidates import find_candidates
from checks.pii.diff import parse_diff
from checks.pii.filetypes import language_of
from checks.pii.manifests import MANIFEST_AUTHOR, author_lines, has_author_entries
from checks.pii.masking import excerpt, mask_line, mask_value
from checks.pii.model import DEFAULT_THRESHOLD, PiiModel, load_model
from checks.pii.models import (
    Candidate,
    Finding,
    PiiConfig,
    PiiType,
    Redaction,
    ScanReport,
    family_of,
)
from checks.pii.redaction import build_redaction


def _threshold(cand: Candidate, config: PiiConfig, model: PiiModel | None) -> float:
    override = config.thresholds.get(cand.kind.value)
    if override is not None:
        return override
    return model.threshold_for(cand.kind) if model is not None else DEFAULT_THRESHOLD


def _reason(cand: Candidate) -> str:
    return "secret_detected" if family_of(cand.kind).value == "secret" else "pii_detected"


def scan_text(
    path: str,
    text: str,
    config: PiiConfig | None = None,
    model: PiiModel | None = None,
    line_numbers: Sequence[int] | None = None,
    glob_path: str | None = None,
) -> ScanReport:
    """Findings in `text` (the content of `path`).

    `line_numbers[i]` is the 1-based file line of `text`'s i-th line (diff mode); by default
    line i is line i + 1. `glob_path` is the repository-relative path that the allow-list
    globs are matched against when `path` is not (default: `path`). With `config.use_model`
    false the model is not consulted and every validated candidate scores 1.0 (regex-only).
    """
    config = config or PiiConfig()
    lines = text.split("\n")
    if config.use_model and model is None:
        model = load_model()
    report = ScanReport(files_scanned=1, lines_scanned=len(lines))
    cands = find_candidates(text, path, config.disabled_types)
    if not cands:
        return report

    def number(index: int) -> int:
        if line_numbers is not None and index < len(line_numbers):
            return line_numbers[index]
        return index + 1

    by_line: dict[int, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_line[c.line_index].append(c)

    scored: list[tuple[Candidate, float, float]] = []
    for c in cands:
        line = lines[c.line_index]
        score = model.score(c, line, path) if config.use_model and model is not None else 1.0
        threshold = _threshold(c, config, model if config.use_model else None)
        if score < threshold and not config.include_suppressed:
            report.suppressed += 1
            continue
        if score < threshold:
            report.suppressed += 1
        scored.append((c, score, threshold))

    reported_by_line: dict[int, list[Candidate]] = defaultdict(list)
    for c, score, threshold in scored:
        if score >= threshold:
            reported_by_line[c.line_index].append(c)

    lang = language_of(path)
    glob_allow = path_allowance(glob_path or path, config.allow_paths)
    authors: set[int] | None = None
    elsewhere = sorted({(c.value, c.kind) for c, _s, _t in scored if len(c.value) >= 4},
                       key=lambda vk: (-len(vk[0]), vk[0]))  # fmt: skip
    for c, score, threshold in scored:
        line = lines[c.line_index]
        spans = [(o.col_start, o.col_end, o.kind, o.value) for o in by_line[c.line_index]]
        masked = excerpt(mask_line(line, spans, elsewhere), c.col_start)
        allowed = glob_allow
        contiguous = line_numbers is None or (
            c.line_index > 0 and line_numbers[c.line_index - 1] == number(c.line_index) - 1
        )
        if allowed is None:
            window = lines if contiguous else [line]
            allowed = inline_allowance(window, c.line_index if contiguous else 0)
        info: str | None = None
        if c.kind is PiiType.EMAIL and has_author_entries(path):
            if authors is None:
                authors = author_lines(text, path)
            if c.line_index in authors:
                info = MANIFEST_AUTHOR  # a package's published contact, not a customer's
        same_line = reported_by_line.get(c.line_index) or [c]
        if c.end_line_index == c.line_index:
            red_spans = [
                (o.col_start, o.col_end, o.kind)
                for o in same_line
                if o.end_line_index == o.line_index
            ]
        else:
            red_spans = [(c.col_start, c.col_end, c.kind)]
        redaction: Redaction | None = build_redaction(
            lines, c.line_index, min(c.end_line_index, len(lines) - 1), red_spans, lang,
            number(c.line_index),
        )  # fmt: skip
        if redaction is not None and any(o.value in redaction.replacement for o in same_line):
            redaction = None  # never suggest text that still carries a detected value
        report.findings.append(
            Finding(
                type=c.kind,
                family=family_of(c.kind),
                path=path,
                line=number(c.line_index),
                end_line=number(min(c.end_line_index, len(lines) - 1)),
                col_start=c.col_start,
                col_end=c.col_end,
                rule=c.rule,
                score=round(score, 4),
                threshold=threshold,
                excerpt=masked,
                masked_value=mask_value(c.value, c.kind),
                reason=_reason(c),
                allowed=allowed,
                info=info,
                redaction=redaction,
            )
        )
    return report


def _merge(into: ScanReport, part: ScanReport) -> None:
    into.findings.extend(part.findings)
    into.suppressed += part.suppressed
    into.files_scanned += part.files_scanned
    into.lines_scanned += part.lines_scanned


def scan_diff(
    diff_text: str,
    config: PiiConfig | None = None,
    model: PiiModel | None = None,
    default_path: str = "",
) -> ScanReport:
    """Findings on the lines `diff_text` adds; line numbers are those of the new file."""
    config = config or PiiConfig()
    if config.use_model and model is None:
        model = load_model()
    files, problems = parse_diff(diff_text, default_path)
    report = ScanReport(problems=problems)
    for f in files:
        if f.deleted or f.binary or not f.added:
            continue
        text = "\n".join(line for _n, line in f.added)
        part = scan_text(f.path, text, config, model, [n for n, _l in f.added])
        _merge(report, part)
    return report


def scan_patch(
    path: str, patch: str, config: PiiConfig | None = None, model: PiiModel | None = None
) -> ScanReport:
    """Findings in one file's GitHub patch (the `patch` field of `pulls/{n}/files`)."""
    return scan_diff(patch, config, model, default_path=path)
