"""Differential vs full SBOM scan, and offline advisory matching throughput.

1. The corpus two-commit pairs: differential scan (diff base/head, match what changed) vs a
   full scan of the head (parse everything, match everything).
2. Synthetic pairs of ~20,000 components made by scaling real lockfiles (package-lock.json v3,
   poetry.lock, Cargo.lock, pnpm-lock.yaml v9, go.sum, hashed requirements): the head is the
   scaled file, the base the same file with 1% of versions lowered, 0.2% of packages missing
   and 0.2% extra (a large lock-maintenance PR).
3. An OSV directory of >= 10,000 records (corpus records cloned onto the synthetic packages):
   load time and matching throughput (components/s) of a full scan.

Prints, for each pair, the full scan's parse and match times and total, the differential scan's
parse+diff and match times and total, and the ratio differential/full; then, per section,
PASS or FAIL against the target ratio <= 0.6 (the differential scan takes at least 40% less
time). Run: `python bench/sbom.py` (or `make bench`).
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checks.sbom import (  # noqa: E402
    OsvIndex,
    diff_manifest,
    differential_scan,
    full_scan,
    load_osv,
    parse_manifest,
    scan_components,
)

FIX = ROOT / "tests" / "fixtures"
LOCK = FIX / "sbom" / "lockfiles"
GEN = FIX / "sbom" / "generated"
OSV = FIX / "osv"
TARGET = 20_000
RNG = random.Random(20261124)

PAIRS = {
    "poetry.lock": (
        "poetry/python-poetry-poetry-core/e8bbbe6d8cb1",
        "poetry/python-poetry-poetry-core/2bc56e443bb1",
    ),
    "package-lock.json": ("npm/octokit-webhooks/76f8deb2d40c", "npm/octokit-webhooks/64f772e4ee96"),
    "main.txt": (
        "pip/sigstore-gh-action-sigstore-python/cbab91d8551b",
        "pip/sigstore-gh-action-sigstore-python/74e004047800",
    ),
    "Cargo.lock": ("cargo/rustsec-rustsec/b2af1cc8c192", "cargo/rustsec-rustsec/7fad63bdb0a7"),
    "go.sum": ("go/sigstore-rekor/d53aa51f4c39", "go/sigstore-rekor/a8544a8e30ac"),
    "go.mod": ("go/sigstore-rekor/d53aa51f4c39", "go/sigstore-rekor/a8544a8e30ac"),
}


def cold() -> None:
    """Empty the memo caches (purl strings, parsed versions), so every run starts cold."""
    from checks.sbom import ecosystems, semver, versions

    for fn in (
        ecosystems.make_purl,
        ecosystems.normalise_name,
        semver.semver_key,
        versions.pep440_key,
        versions.loose_key,
    ):
        fn.cache_clear()


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        cold()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) if repeat < 5 else statistics.median(times)


def lower(version: str) -> str:
    """A plausible older version: decrement the last number, or the one before it."""
    nums = list(re.finditer(r"\d+", version))
    for m in reversed(nums):
        if int(m.group()) > 0:
            return version[: m.start()] + str(int(m.group()) - 1) + version[m.end() :]
    return version + "-0"


# --- synthetic lockfiles ----------------------------------------------------------------


def scale_package_lock(text: str) -> tuple[str, str, list[str]]:
    doc = json.loads(text)
    entries = [(p, e) for p, e in doc["packages"].items() if p.startswith("node_modules/")]
    names = []
    packages: dict[str, object] = {"": doc["packages"][""]}
    i = 0
    while len(packages) <= TARGET:
        for path, entry in entries:
            name = path.rsplit("node_modules/", 1)[1] + f"-s{i}"
            packages[f"node_modules/{name}"] = entry
            names.append(name)
        i += 1
    head = dict(doc, packages=packages)
    base_packages = dict(packages)
    keys = [k for k in packages if k]
    for k in RNG.sample(keys, len(keys) // 100):
        e = dict(base_packages[k])  # type: ignore[arg-type]
        e["version"] = lower(e["version"])
        base_packages[k] = e
    for k in RNG.sample(keys, len(keys) // 500):
        base_packages.pop(k, None)
    for j in range(len(keys) // 500):
        base_packages[f"node_modules/extra-{j}"] = {"version": "1.0.0"}
    base = dict(doc, packages=base_packages)
    return json.dumps(base, indent=2), json.dumps(head, indent=2), names


def _scale_blocks(text: str, header: str, name_re: str) -> tuple[str, str, list[str]]:
    parts = text.split(f"\n{header}\n")
    prolog, blocks = parts[0], parts[1:]
    tail = ""
    if "\n[metadata]" in blocks[-1]:
        blocks[-1], tail = blocks[-1].split("\n[metadata]", 1)
        tail = "\n[metadata]" + tail
    out_head: list[str] = []
    out_base: list[str] = []
    names: list[str] = []
    i = 0
    while len(out_head) < TARGET:
        for b in blocks:
            m = re.search(name_re, b, re.M)
            if not m or ("source" not in b and header == "[[package]]" and "Cargo" in prolog):
                continue
            name = f"{m.group(1)}-s{i}"
            nb = b[: m.start(1)] + name + b[m.end(1) :]
            names.append(name)
            out_head.append(nb)
            r = RNG.random()
            if r < 0.01:
                out_base.append(
                    re.sub(
                        r'^version = "([^"]+)"',
                        lambda v: f'version = "{lower(v.group(1))}"',
                        nb,
                        count=1,
                        flags=re.M,
                    )
                )
            elif r < 0.012:
                continue
            else:
                out_base.append(nb)
            if r > 0.998:
                out_base.append(nb.replace(name, f"extra-{i}-{len(out_base)}"))
        i += 1
    sep = f"\n{header}\n"
    return prolog + sep + sep.join(out_base) + tail, prolog + sep + sep.join(out_head) + tail, names


def scale_lines(
    text: str,
    unit: Callable[[str, int], str | None],
    is_component: Callable[[str], bool] = lambda _line: True,
) -> tuple[str, str, list[str]]:
    """Repeat the file's lines (renamed by `unit`) until the head holds TARGET components;
    `is_component` says which lines are one (go.sum's `/go.mod` lines are not)."""
    lines = text.splitlines()
    head: list[str] = []
    base: list[str] = []
    components = 0
    i = 0
    while components < TARGET:
        for ln in lines:
            new = unit(ln, i)
            if new is None:
                continue
            head.append(new)
            components += is_component(new)
            r = RNG.random()
            if r < 0.01:
                base.append(
                    re.sub(
                        r"(v?\d+\.\d+\.)(\d+)",
                        lambda m: m.group(1) + lower(m.group(2)),
                        new,
                        count=1,
                    )
                )
            elif r >= 0.012:
                base.append(new)
        i += 1
    return "\n".join(base) + "\n", "\n".join(head) + "\n", []


def go_sum_unit(line: str, i: int) -> str | None:
    parts = line.split()
    return f"{parts[0]}/s{i} {parts[1]} {parts[2]}" if len(parts) == 3 else None


def go_sum_component(line: str) -> bool:
    return not line.split()[1].endswith("/go.mod")


def scale_requirements(text: str) -> tuple[str, str, list[str]]:
    reqs = re.findall(
        r"^([a-z0-9][a-z0-9._-]*)(\[[^\]]*\])?==(\S+) \\\n((?:    .*\n)+)", text, re.M
    )
    head: list[str] = []
    base: list[str] = []
    i = 0
    while len(head) < TARGET:
        for name, _extras, version, rest in reqs:
            entry = f"{name}-s{i}=={version} \\\n{rest}"
            head.append(entry)
            r = RNG.random()
            if r < 0.01:
                base.append(f"{name}-s{i}=={lower(version)} \\\n{rest}")
            elif r >= 0.012:
                base.append(entry)
        i += 1
    return "".join(base), "".join(head), []


def scale_pnpm(text: str) -> tuple[str, str, list[str]]:
    head_part, packages = text.split("\npackages:\n", 1)
    packages = packages.split("\nsnapshots:\n", 1)[0]
    entries = [e for e in re.split(r"\n(?=  \S)", packages.strip("\n")) if e.strip()]
    head: list[str] = []
    base: list[str] = []
    i = 0
    while len(head) < TARGET:
        for e in entries:
            key = e.split(":\n", 1)[0].strip()
            m = re.match(r"^('?)(@?[^@]+)@([^:']+)('?)$", key)
            if not m:
                continue
            q, name, version, _ = m.groups()
            nk = f"  {q}{name}-s{i}@{version}{q}"
            new = nk + ":\n" + e.split(":\n", 1)[1]
            head.append(new)
            r = RNG.random()
            if r < 0.01:
                base.append(f"  {q}{name}-s{i}@{lower(version)}{q}:\n" + e.split(":\n", 1)[1])
            elif r >= 0.012:
                base.append(new)
        i += 1
    return (
        head_part + "\npackages:\n\n" + "\n\n".join(base) + "\n",
        head_part + "\npackages:\n\n" + "\n\n".join(head) + "\n",
        [],
    )


def synthetic_pairs() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    npm = (LOCK / PAIRS["package-lock.json"][1] / "package-lock.json").read_text()
    b, h, _ = scale_package_lock(npm)
    out["package-lock.json"] = (b, h)
    poetry = (LOCK / PAIRS["poetry.lock"][1] / "poetry.lock").read_text()
    b, h, _ = _scale_blocks(poetry, "[[package]]", r'^name = "([^"]+)"')
    out["poetry.lock"] = (b, h)
    cargo = (LOCK / PAIRS["Cargo.lock"][1] / "Cargo.lock").read_text()
    b, h, _ = _scale_blocks(cargo, "[[package]]", r'^name = "([^"]+)"')
    out["Cargo.lock"] = (b, h)
    b, h, _ = scale_pnpm((GEN / "pnpm-v9" / "pnpm-lock.yaml").read_text())
    out["pnpm-lock.yaml"] = (b, h)
    go_sum = (LOCK / PAIRS["go.sum"][1] / "go.sum").read_text()
    b, h, _ = scale_lines(go_sum, go_sum_unit, go_sum_component)
    out["go.sum"] = (b, h)
    b, h, _ = scale_requirements((LOCK / PAIRS["main.txt"][1] / "main.txt").read_text())
    out["requirements.txt"] = (b, h)
    return out


# --- synthetic OSV database -------------------------------------------------------------


def write_osv_db(directory: Path, components_by_eco: dict[str, list[str]], n: int) -> int:
    templates = {a.affected[0].ecosystem: a for a in load_osv(OSV) if a.affected}
    raw = {}
    for f in OSV.rglob("*.json"):
        if f.name == "schema.json":
            continue
        doc = json.loads(f.read_text())
        for aff in doc.get("affected", []):
            raw.setdefault(aff["package"]["ecosystem"], doc)
    ecos = [e for e in components_by_eco if e in raw and components_by_eco[e]]
    written = 0
    for i in range(n):
        eco = ecos[i % len(ecos)]
        doc = json.loads(json.dumps(raw[eco]))
        doc["id"] = f"BENCH-{i:05d}"
        name = RNG.choice(components_by_eco[eco])
        for aff in doc["affected"]:
            aff["package"]["name"] = name
        (directory / f"{doc['id']}.json").write_text(json.dumps(doc))
        written += 1
    del templates
    return written


# --- run --------------------------------------------------------------------------------

COLUMNS = (
    f"{'manifest':<20} {'comps':>6} {'changed':>7} {'parse':>8} {'match':>8} {'full':>8} "
    f"{'parse+diff':>10} {'match':>7} {'diff':>8} {'ratio':>6}"
)


class Timed:
    """One manifest pair: full scan (parse, match) vs differential scan (parse+diff, match), in
    seconds; the totals are measured end to end, not summed from the parts."""

    def __init__(self, name: str, base: str | bytes, head: str | bytes, index, repeat: int):
        full = full_scan({name: head}, index)
        diff = differential_scan({name: (base, head)}, index)
        self.comps, self.changed = full.scanned, diff.scanned
        head_comps = parse_manifest(name, head).components
        changed = [c for d in diff.deltas for c in d.head_changed()]
        keys = {(c.ecosystem, c.name, c.version) for c in changed}
        self.same = {(f.id, f.package, f.version) for f in diff.findings} == {
            (f.id, f.package, f.version)
            for f in full.findings
            if (f.ecosystem, f.package, f.version) in keys
        }
        self.full_parse = best_of(lambda: parse_manifest(name, head), repeat)
        self.full_match = best_of(lambda: scan_components(head_comps, index), repeat)
        self.full = best_of(lambda: full_scan({name: head}, index), repeat)
        self.diff_parse = best_of(lambda: diff_manifest(name, base, head), repeat)
        self.diff_match = best_of(lambda: scan_components(changed, index), repeat)
        self.diff = best_of(lambda: differential_scan({name: (base, head)}, index), repeat)

    def row(self, label: str) -> str:
        ms = [
            t * 1000
            for t in (
                self.full_parse,
                self.full_match,
                self.full,
                self.diff_parse,
                self.diff_match,
                self.diff,
            )
        ]
        return (
            f"{label:<20} {self.comps:>6} {self.changed:>7} {ms[0]:>8.1f} {ms[1]:>8.1f} "
            f"{ms[2]:>8.1f} {ms[3]:>10.1f} {ms[4]:>7.1f} {ms[5]:>8.1f} "
            f"{self.diff / self.full:>6.2f}" + ("" if self.same else "  FINDINGS DIFFER")
        )


def verdict(label: str, rows: list[Timed]) -> None:
    full = sum(r.full for r in rows)
    diff = sum(r.diff for r in rows)
    ratio = diff / full
    status = "PASS" if ratio <= 0.6 else "FAIL"
    print(
        f"{label}: differential {diff * 1000:.1f} ms / full {full * 1000:.1f} ms = {ratio:.2f} "
        f"({(1 - ratio) * 100:.0f}% less time) -> {status} (target <= 0.60)"
    )


def main() -> int:
    index = OsvIndex(load_osv(OSV))
    print("times in ms; parse = parse the head; parse+diff = split both sides and diff them;")
    print("match = match the components against the advisories; full/diff = whole scans")
    print("\n== corpus two-commit pairs (OSV corpus index, median of 7, cold caches)")
    print(COLUMNS)
    corpus: list[Timed] = []
    for name, (old, new) in PAIRS.items():
        b = (LOCK / old / name).read_bytes()
        h = (LOCK / new / name).read_bytes()
        corpus.append(Timed(name, b, h, index, 7))
        print(corpus[-1].row(name))
    verdict("corpus pairs", corpus)

    print(f"\n== synthetic pairs of >= {TARGET:,} components (best of 2, cold caches)")
    pairs = synthetic_pairs()
    comps_by_eco: dict[str, list[str]] = {}
    heads: dict[str, str] = {}
    for name, (_b, h) in pairs.items():
        res = parse_manifest(name, h)
        heads[name] = h
        for c in res.components:
            comps_by_eco.setdefault(c.ecosystem, []).append(c.name)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp)
        n = write_osv_db(db, comps_by_eco, 10_000)
        t = time.perf_counter()
        advisories = load_osv(db) + load_osv(OSV)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        big_index = OsvIndex(advisories)
        t_index = time.perf_counter() - t
    print(COLUMNS)
    synthetic: list[Timed] = []
    for name, (b, h) in pairs.items():
        synthetic.append(Timed(name, b, h, big_index, 2))
        print(synthetic[-1].row(name))
    verdict("synthetic pairs", synthetic)

    print(f"\n== advisory matching against an OSV directory of {n + len(load_osv(OSV)):,} records")
    comps = [c for name, h in heads.items() for c in parse_manifest(name, h).components]
    cold()
    t = time.perf_counter()
    hits = sum(len(big_index.match(c)) for c in comps)
    t_match = time.perf_counter() - t
    print(
        f"load {len(advisories):,} records: {t_load:.2f} s; index: {t_index * 1000:.0f} ms "
        f"({big_index.packages:,} packages)"
    )
    print(
        f"matched {len(comps):,} components in {t_match:.2f} s: {len(comps) / t_match:,.0f} "
        f"components/s ({hits:,} findings)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
