"""The labelled corpus: real negative lines, synthesised and implanted positives, the split.

Pure: takes file texts (from `build.py`) and a seed, returns records. Labelling rules:

* Negatives are real lines from code nobody here wrote. Lines that carry a *provider-format*
  credential or a personal-looking email address (an author's address in a header, a docs
  example token) are excluded rather than labelled negative: flagging them is correct, so they
  would be mislabelled, and the number excluded is reported.
* "Hard" negatives are lines where the regex stage raises a candidate (hashes, UUIDs, SHAs,
  base64 vectors, version strings…), or would without its context rules (digests in a digest
  notation, dependency declarations such as `"js-tokens": "^4.0.0"`); "easy" ones are random
  lines. Both are kept and
  reported separately, because an FP rate over mostly-empty lines would flatter the model.
* Files are assigned to train or test by a hash of their path, so near-duplicate lines of one
  file never straddle the split. Positives are synthesised per split from disjoint pools
  (`synth.half`), and implants go into real lines of the same split.
"""

from __future__ import annotations

import random
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from checks.pii.candidates import ASSIGNMENT_RULE, find_candidates
from checks.pii.models import PiiType
from checks.pii.training.contexts import plant
from checks.pii.training.synth import VALUE_GENERATORS

MAX_LINE = 400
HARD_PER_FILE = 400

# Candidates of these kinds in third-party code are real findings, not false positives.
STRONG_KINDS = frozenset(
    {
        PiiType.EMAIL,
        PiiType.AWS_ACCESS_KEY,
        PiiType.AWS_SECRET_KEY,
        PiiType.GITHUB_TOKEN,
        PiiType.SLACK_TOKEN,
        PiiType.STRIPE_KEY,
        PiiType.GOOGLE_API_KEY,
        PiiType.JWT,
        PiiType.PRIVATE_KEY,
    }
)

IMPLANT_KINDS = (
    PiiType.EMAIL,
    PiiType.PHONE,
    PiiType.CREDIT_CARD,
    PiiType.IBAN,
    PiiType.US_SSN,
    PiiType.IP_ADDRESS,
    PiiType.AWS_ACCESS_KEY,
    PiiType.GITHUB_TOKEN,
    PiiType.SLACK_TOKEN,
    PiiType.STRIPE_KEY,
    PiiType.GOOGLE_API_KEY,
    PiiType.JWT,
)
_LITERAL = re.compile(r"""(["'])([^"'\\\n]{1,60})\1""")


@dataclass
class Record:
    """One labelled unit: a line (a few lines for a PEM block) of a file."""

    path: str
    text: str
    label: int
    kind: str = ""  # planted type for positives
    start: int = -1  # planted value span in `text` for positives
    end: int = -1
    source: str = ""  # stdlib | site-packages | third_party | synth | implant
    hard: bool = False  # negatives: the regex stage raised a candidate on this line

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        if self.label == 0:
            for k in ("kind", "start", "end"):
                d.pop(k)
        else:
            d.pop("hard")
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Record:
        return cls(**d)


@dataclass
class HarvestStats:
    files: int = 0
    lines: int = 0
    excluded_strong: int = 0
    excluded_kinds: Counter[str] = field(default_factory=Counter)
    hard: int = 0
    dependency_declarations: int = 0  # credential-named keys declaring a dependency (hard)


def split_of(path: str, test_share: float = 0.5) -> str:
    return "test" if (zlib.crc32(path.encode()) % 1000) < test_share * 1000 else "train"


def harvest(
    files: Iterable[tuple[str, str, str]], rng: random.Random
) -> tuple[dict[str, list[Record]], dict[str, list[Record]], HarvestStats]:
    """(hard lines by split, easy lines by split, stats) from (display path, source, text).

    Hard lines are capped per file so that one lockfile cannot dominate; easy lines are a
    deterministic sample of at most 60 per file.
    """
    hard: dict[str, list[Record]] = {"train": [], "test": []}
    easy: dict[str, list[Record]] = {"train": [], "test": []}
    stats = HarvestStats()
    for path, source, text in files:
        stats.files += 1
        lines = text.split("\n")
        stats.lines += len(lines)
        split = split_of(path)
        strong: set[int] = set()
        with_cand: set[int] = set()
        kept_spans: set[tuple[int, str]] = set()
        for c in find_candidates(text, path):
            kept_spans.add((c.start, c.rule))
            if c.kind in STRONG_KINDS:
                strong.update(range(c.line_index, c.end_line_index + 1))
                stats.excluded_kinds[c.kind.value] += 1
        # Hard: a pattern raises a candidate, counting those only context rules out (digests in
        # a digest notation, dependency declarations such as `"js-tokens": "^4.0.0"`). The rare
        # credential-named dependency declarations are all kept, whatever the per-file cap.
        always: set[int] = set()
        for c in find_candidates(text, path, context_filters=False):
            with_cand.update(range(c.line_index, c.end_line_index + 1))
            if c.rule == ASSIGNMENT_RULE and (c.start, c.rule) not in kept_spans:
                always.add(c.line_index)
        stats.excluded_strong += len(strong)
        usable = [
            i
            for i, line in enumerate(lines)
            if line.strip() and len(line) <= MAX_LINE and i not in strong
        ]
        hard_idx = [i for i in usable if i in with_cand and i not in always]
        easy_idx = [i for i in usable if i not in with_cand]
        if len(hard_idx) > HARD_PER_FILE:
            hard_idx = rng.sample(hard_idx, HARD_PER_FILE)
        hard_idx = sorted(set(hard_idx) | (always & set(usable)))
        stats.dependency_declarations += len(always & set(usable))
        if len(easy_idx) > 60:
            easy_idx = sorted(rng.sample(easy_idx, 60))
        stats.hard += len(hard_idx)
        for i in hard_idx:
            hard[split].append(Record(path, lines[i].rstrip("\r"), 0, source=source, hard=True))
        for i in easy_idx:
            easy[split].append(Record(path, lines[i].rstrip("\r"), 0, source=source))
    return hard, easy, stats


def implant(rng: random.Random, host: Record, kind: PiiType, test: bool) -> Record | None:
    """Replace a string literal of a real line with a value of `kind`, or None if it has none."""
    literals = list(_LITERAL.finditer(host.text))
    if not literals:
        return None
    m = rng.choice(literals)
    value = VALUE_GENERATORS[kind](rng, test)
    text = host.text[: m.start(2)] + value + host.text[m.end(2) :]
    start = m.start(2)
    return Record(host.path, text, 1, kind.value, start, start + len(value), "implant")


def positives(
    rng: random.Random, per_type: int, hosts: list[Record], test: bool, implant_share: float
) -> list[Record]:
    """`per_type` positives of every type; a share of the implantable ones go into real lines."""
    out: list[Record] = []
    for kind in PiiType:
        for _ in range(per_type):
            rec: Record | None = None
            if kind in IMPLANT_KINDS and hosts and rng.random() < implant_share:
                rec = implant(rng, rng.choice(hosts), kind, test)
            if rec is None:
                p = plant(rng, kind, test)
                rec = Record(p.path, p.text, 1, kind.value, p.start, p.end, "synth")
            out.append(rec)
    return out


@dataclass
class CorpusSizes:
    train_hard: int = 14_000
    train_easy: int = 12_000
    test_hard: int = 12_000
    test_easy: int = 16_000
    train_per_type: int = 350
    test_per_type: int = 150
    implant_share: float = 0.3


def build_corpus(
    files: Iterable[tuple[str, str, str]], seed: int, sizes: CorpusSizes | None = None
) -> tuple[dict[str, list[Record]], dict[str, Any]]:
    """The train and test record lists and a manifest of counts, from the harvested files."""
    sizes = sizes or CorpusSizes()
    rng = random.Random(seed)
    hard, easy, stats = harvest(files, rng)
    want = {
        "train": (sizes.train_hard, sizes.train_easy, sizes.train_per_type),
        "test": (sizes.test_hard, sizes.test_easy, sizes.test_per_type),
    }
    out: dict[str, list[Record]] = {}
    counts: dict[str, Any] = {}
    for split, (n_hard, n_easy, per_type) in want.items():
        h = rng.sample(hard[split], min(n_hard, len(hard[split])))
        e = rng.sample(easy[split], min(n_easy, len(easy[split])))
        negatives = h + e
        hosts = [r for r in negatives if _LITERAL.search(r.text)]
        pos = positives(rng, per_type, hosts, split == "test", sizes.implant_share)
        records = negatives + pos
        rng.shuffle(records)
        out[split] = records
        counts[split] = {
            "negatives_hard": len(h),
            "negatives_easy": len(e),
            "positives": len(pos),
            "positives_implanted": sum(1 for r in pos if r.source == "implant"),
            "positives_by_type": dict(sorted(Counter(r.kind for r in pos).items())),
            "negatives_by_source": dict(sorted(Counter(r.source for r in negatives).items())),
        }
    manifest = {
        "seed": seed,
        "files_read": stats.files,
        "lines_read": stats.lines,
        "hard_lines_available": stats.hard,
        "hard_dependency_declarations": stats.dependency_declarations,
        "lines_excluded_as_real_findings": stats.excluded_strong,
        "excluded_by_kind": dict(sorted(stats.excluded_kinds.items())),
        "splits": counts,
    }
    return out, manifest
